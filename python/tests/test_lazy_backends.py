"""A CPU-only Python process never opens the OpenCL or CUDA backends; listing devices does.
Each case runs in a fresh interpreter (the backends open once a process)."""

import os
import subprocess
import sys
import textwrap

import weft

SCRIPT = textwrap.dedent(
    """
    import numpy as np, weft

    def mapped():
        with open("/proc/self/maps") as f:
            maps = f.read()
        return [b for b in ("libweft_opencl.so", "libweft_cuda.so") if b in maps]

    rng = np.random.default_rng(0)
    xb = rng.random((2000, 32), dtype=np.float32)
    index = weft.FlatIndex(32)
    index.add(xb, copy=False)
    index.search(xb[:100], 10, device="cpu")
    index.search(xb[:3], 2)  # auto, too small for a GPU to win
    assert "not opened" in weft.last_report(), weft.last_report()
    weft.sum(np.arange(10.0), device="cpu")
    assert mapped() == [], mapped()
    weft.devices()
    opened = [b.name for b in weft.backends()[1:] if not b.reason.startswith("cannot load")]
    assert sorted(mapped()) == sorted(f"libweft_{n}.so" for n in opened), (mapped(), opened)
    print("ok")
    """
)


def test_cpu_work_does_not_open_the_backends_and_listing_does():
    env = dict(os.environ)
    # the child imports the weft this process imported (the installed package under CI)
    env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(os.path.dirname(weft.__file__))] + sys.path)
    env.pop("WEFT_DEVICE", None)
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
