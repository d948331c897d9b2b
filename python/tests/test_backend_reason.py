"""The reason weft.backends() gives for a CUDA backend that did not load."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import weft

ROOT = Path(__file__).resolve().parents[2]

# A stand-in for libweft_cuda.so whose init fails the way the CUDA runtime does on a
# machine without an NVIDIA driver.
FAKE = r"""
#include "backend_impl.h"
static weft_status fake_init(const weft__host_api *host) {
  return host->set_error(WEFT_ERR_BACKEND_UNAVAILABLE, "cuda: no usable device: %s (%d)",
                         MESSAGE, CODE);
}
static const weft__backend fake = {.abi_version = WEFT_BACKEND_ABI_VERSION, .name = "cuda",
                                   .init = fake_init};
const weft__backend *weft_backend_entry(uint32_t abi_version) {
  (void)abi_version;
  return &fake;
}
"""


def test_no_gpu_here_is_said_plainly():
    cuda = [b for b in weft.backends() if b.name == "cuda"]
    assert cuda
    if cuda[0].loaded:
        pytest.skip("a CUDA backend loaded on this machine")
    assert "insufficient" not in cuda[0].reason, cuda[0].reason
    built = os.sep in weft._lib.path and (Path(weft._lib.path).parent / "libweft_cuda.so").exists()
    if built and not list(Path("/dev").glob("nvidia*")):
        # the real CUDA backend on a machine without NVIDIA's driver or GPU
        assert cuda[0].reason.startswith("no NVIDIA driver / GPU found"), cuda[0].reason


@pytest.mark.parametrize(
    "message, code, plain",
    [
        ("CUDA driver version is insufficient for CUDA runtime version", 35, True),
        ("no CUDA-capable device is detected", 100, True),
        ("CUDA driver is a stub library", 34, True),
        ("out of memory", 2, False),
    ],
)
def test_cuda_without_driver_reason(message, code, plain, tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    header = ROOT / "host" / "core" / "backend_impl.h"
    if cc is None or not header.exists():
        pytest.skip("needs a C compiler and the weft sources")
    src = tmp_path / "fake_cuda.c"
    src.write_text(FAKE)
    lib = tmp_path / "libweft_cuda.so"
    subprocess.run(
        [cc, "-shared", "-fPIC", "-std=c11", f"-I{ROOT / 'include'}", f"-I{header.parent}",
         f'-DMESSAGE="{message}"', f"-DCODE={code}", "-o", str(lib), str(src)],
        check=True,
    )
    env = dict(os.environ, WEFT_BACKEND_PATH=str(tmp_path))
    env["PYTHONPATH"] = os.pathsep.join([str(Path(weft.__file__).parents[1]), env.get("PYTHONPATH", "")])
    if os.sep in weft._lib.path:  # the same libweft as this process
        env["WEFT_LIBRARY"] = weft._lib.path
    out = subprocess.run(
        [sys.executable, "-c",
         "import weft; print([b.reason for b in weft.backends() if b.name == 'cuda'][0])"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.strip()
    if plain:
        assert out == f"no NVIDIA driver / GPU found (CUDA error {code})", out
    else:
        assert out == f"cuda: no usable device: {message} ({code})", out
