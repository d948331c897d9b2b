"""Library lookup of weft._lib, on a copy of the module outside the package."""

import ctypes.util
import importlib.util
import os
import shutil

import pytest

import weft
from weft import _lib


def _load_copy(tmp_path, monkeypatch, env, find_library=None):
    pkg = tmp_path / "a" / "b"
    pkg.mkdir(parents=True)
    shutil.copy(_lib.__file__, pkg / "_lib.py")
    if env is None:
        monkeypatch.delenv("WEFT_LIBRARY", raising=False)
    else:
        monkeypatch.setenv("WEFT_LIBRARY", env)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: find_library)
    spec = importlib.util.spec_from_file_location("weft_lib_copy", pkg / "_lib.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod, pkg


def test_loaded_library_is_a_real_file():
    assert os.path.exists(_lib.path) or os.sep not in _lib.path
    assert weft.__version__


def test_weft_library_env_file_and_directory(tmp_path, monkeypatch):
    if os.sep not in _lib.path:
        pytest.skip("libweft was found by name, not by path")
    mod, _ = _load_copy(tmp_path, monkeypatch, _lib.path)
    assert mod.path == os.path.abspath(_lib.path)
    mod, _ = _load_copy(tmp_path / "2", monkeypatch, os.path.dirname(_lib.path))
    assert os.path.dirname(mod.path) == os.path.dirname(os.path.abspath(_lib.path))
    assert mod.weft_version_string() == weft.__version__.encode()


def test_not_found_lists_every_path_tried(tmp_path, monkeypatch):
    missing = str(tmp_path / "nowhere" / "libweft.so")
    with pytest.raises(ImportError) as e:
        _load_copy(tmp_path, monkeypatch, missing)
    msg = str(e.value)
    pkg = tmp_path / "a" / "b"
    assert str(pkg / "libweft.so") in msg  # next to the module
    assert missing in msg  # WEFT_LIBRARY
    assert str(tmp_path / "build" / "lib" / "libweft.so") in msg  # source checkout
    assert "find_library" in msg
    assert "WEFT_LIBRARY" in msg


def test_unloadable_file_is_reported(tmp_path, monkeypatch):
    bad = tmp_path / "libweft.so"
    bad.write_text("not an ELF file")
    with pytest.raises(ImportError) as e:
        _load_copy(tmp_path, monkeypatch, str(bad))
    assert str(bad) in str(e.value)


HEADER = os.path.join(os.path.dirname(__file__), "..", "..", "include", "weft.h")


@pytest.mark.skipif(not os.path.exists(HEADER), reason="not a source checkout")
def test_every_header_function_is_declared():
    import re

    with open(HEADER) as f:
        names = re.findall(r"WEFT_API\s+[^;]*?\b(weft_\w+)\s*\(", f.read())
    assert len(names) > 20
    for name in names:
        fn = getattr(_lib, name, None)
        assert isinstance(fn, ctypes._CFuncPtr), name
        assert fn.argtypes is not None and fn.restype is not None, name


def test_struct_layouts():
    # offsets of the C structs on LP64 (checked against gcc for the x86-64 build)
    assert ctypes.sizeof(_lib.weft_device_info) == 200
    assert _lib.weft_device_info.memory_bytes.offset == 168
    assert ctypes.sizeof(_lib.weft_backend_info) == 792
    assert _lib.weft_backend_info.reason.offset == 280
    assert ctypes.sizeof(_lib.weft_reduce_result) == 24
    assert _lib.weft_reduce_result.is_null.offset == 16


@pytest.mark.parametrize("dev", weft.devices(), ids=lambda d: d.id)
def test_low_level_buffers(dev):
    import numpy as np
    from weft.errors import _check

    n = 1000
    src = np.arange(n, dtype=np.float64)
    back = np.zeros(n)
    used = weft.device(dev.id).memory_used_bytes
    a, b = _lib.weft_buffer_p(), _lib.weft_buffer_p()
    _check(_lib.weft_buffer_alloc(dev.index, src.nbytes, ctypes.byref(a)))
    try:
        _check(_lib.weft_buffer_alloc(dev.index, src.nbytes, ctypes.byref(b)))
        try:
            size, where = ctypes.c_size_t(), ctypes.c_size_t()
            _check(_lib.weft_buffer_size(a, ctypes.byref(size)))
            _check(_lib.weft_buffer_device(a, ctypes.byref(where)))
            assert size.value == src.nbytes and where.value == dev.index
            assert weft.device(dev.id).memory_used_bytes >= used + 2 * src.nbytes
            _check(_lib.weft_buffer_write(a, 0, src.ctypes.data, src.nbytes))
            _check(_lib.weft_buffer_copy(b, 8, a, 0, src.nbytes - 8))
            _check(_lib.weft_buffer_write_async(b, 0, src.ctypes.data + 8, 8))
            _check(_lib.weft_device_synchronize(dev.index))
            _check(_lib.weft_buffer_read_async(b, 0, back.ctypes.data, src.nbytes))
            _check(_lib.weft_device_synchronize(dev.index))
            expect = np.concatenate([[1.0], src[:-1]])
            np.testing.assert_array_equal(back, expect)
            back[:] = 0
            _check(_lib.weft_buffer_read(b, 8, back.ctypes.data, src.nbytes - 8))
            np.testing.assert_array_equal(back[:-1], src[:-1])
        finally:
            _check(_lib.weft_buffer_free(b))
    finally:
        _check(_lib.weft_buffer_free(a))
    assert weft.device(dev.id).memory_used_bytes == used


def test_release_memory_returns_the_kept_blocks():
    """A large group_by leaves its freed group-id array in the reuse cache; release_memory
    hands it back (a fresh interpreter: the cache and its cap are per process)."""
    import subprocess
    import sys

    code = (
        "import numpy as np, weft\n"
        "df = weft.DataFrame({'k': np.arange(2_000_000) % 7, 'v': np.ones(2_000_000)})\n"
        "out = df.group_by('k').agg(weft.col('v').sum())\n"
        "first = weft.release_memory()\n"
        "print(first, weft.release_memory())\n"
    )
    env = dict(os.environ, WEFT_SCRATCH_CACHE_MB="64")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    first, second = map(int, res.stdout.split())
    assert first >= 8_000_000 and second == 0, res.stdout
