import glob
import os

import pytest

import weft
from weft import _lib


def _lib_dir():
    return os.path.dirname(_lib.path) if os.sep in _lib.path else None


def _backend(name):
    found = [b for b in weft.backends() if b.name == name]
    return found[0] if found else None


def test_version():
    major, minor, patch = (_lib.c_int() for _ in range(3))
    assert _lib.weft_version(major, minor, patch) == 0
    assert weft.__version__ == f"{major.value}.{minor.value}.{patch.value}"
    assert weft.__version__ == "0.1.0"


def test_cpu_is_first():
    devs = weft.devices()
    assert devs, "no device at all"
    cpu = devs[0]
    assert cpu.kind == "cpu"
    assert cpu.id == "cpu:0"
    assert cpu.ordinal == 0
    assert cpu.index == 0
    assert cpu.name
    assert cpu.memory_bytes > 0
    assert cpu.memory_limit_bytes > 0
    assert cpu.compute_units >= 1
    assert cpu.has_fp64


def test_cpu_units_follow_the_affinity_mask_not_the_machine():
    """A process pinned to one CPU (taskset, a cpuset container) gets a one-thread pool and
    one compute unit, not one per CPU of the machine (was sysconf's online count)."""
    import subprocess
    import sys

    code = ("import os; os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]}); "
            "import weft; print(weft.devices()[0].compute_units)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=os.environ, check=True).stdout
    assert out.strip() == "1"
    # a cgroup CPU quota may lower it further (tests/test_cpu_count.cc reads fake ones)
    assert 1 <= weft.devices()[0].compute_units <= len(os.sched_getaffinity(0))


def test_device_order_ids_and_ordinals():
    devs = weft.devices()
    order = {"cpu": 0, "opencl": 1, "cuda": 2}
    kinds = [d.kind for d in devs]
    assert all(k in order for k in kinds)
    assert kinds == sorted(kinds, key=order.__getitem__)
    assert len({d.id for d in devs}) == len(devs)
    for kind in order:
        same = [d for d in devs if d.kind == kind]
        assert [d.ordinal for d in same] == list(range(len(same)))
        for d in same:
            assert d.id == f"{kind}:{d.ordinal}"
    for i, d in enumerate(devs):
        assert d.index == i


def test_device_lookup_and_repr():
    for d in weft.devices():
        assert weft.device(d.id).id == d.id
        assert weft.device(d.index).id == d.id
        assert weft.device(d).id == d.id
        r = repr(d)
        assert d.id in r and d.name in r and "memory=" in r
        assert str(d) == d.id
    assert weft.device("cpu").id == "cpu:0"


def test_backends():
    bks = weft.backends()
    names = [b.name for b in bks]
    assert len(set(names)) == len(names)
    assert "cpu" in names
    cpu = _backend("cpu")
    assert cpu.loaded and cpu.device_count >= 1
    devs = weft.devices()
    for b in bks:
        assert isinstance(b.loaded, bool)
        if b.loaded:
            assert b.device_count == sum(1 for d in devs if d.kind == b.name), b
        else:
            assert b.reason, f"backend {b.name} not loaded but gives no reason"
            assert b.device_count == 0
            assert not any(d.kind == b.name for d in devs)
        assert b.name in repr(b)


def test_opencl_with_pocl():
    icds = glob.glob("/etc/OpenCL/vendors/*pocl*.icd")
    libdir = _lib_dir()
    if not icds:
        pytest.skip("PoCL ICD not installed")
    if libdir is None or not os.path.exists(os.path.join(libdir, "libweft_opencl.so")):
        pytest.skip("libweft_opencl.so not built next to libweft.so")
    b = _backend("opencl")
    assert b is not None, weft.backends()
    assert b.loaded, b.reason
    assert b.device_count >= 1
    assert any(d.kind == "opencl" for d in weft.devices())


def test_cuda_backend_without_gpu():
    libdir = _lib_dir()
    if libdir is None or not os.path.exists(os.path.join(libdir, "libweft_cuda.so")):
        pytest.skip("libweft_cuda.so not built next to libweft.so")
    b = _backend("cuda")
    assert b is not None, weft.backends()
    if b.loaded:
        assert b.device_count >= 1
        assert any(d.kind == "cuda" for d in weft.devices())
    else:
        assert b.reason
        assert b.device_count == 0
    if not glob.glob("/dev/nvidia[0-9]*"):
        assert not b.loaded, "cuda backend loaded on a machine without a GPU"


@pytest.mark.parametrize("which", ["id", "index", "device"])
def test_set_memory_limit_and_restore(which):
    for d in weft.devices():
        before = d.memory_limit_bytes
        target = {"id": d.id, "index": d.index, "device": d}[which]
        weft.set_memory_limit(target, 1 << 20)
        assert weft.device(d.id).memory_limit_bytes == 1 << 20
        weft.set_memory_limit(target, before)
        assert weft.device(d.id).memory_limit_bytes == before
        with weft.memory_limit(target, 3 << 20):
            assert weft.device(d.id).memory_limit_bytes == 3 << 20
        assert weft.device(d.id).memory_limit_bytes == before


def test_set_memory_limit_zero_restores_physical():
    d = weft.devices()[0]
    before = d.memory_limit_bytes
    try:
        weft.set_memory_limit(d.id, 1 << 20)
        weft.set_memory_limit(d.id, 0)
        assert weft.device(d.id).memory_limit_bytes == d.memory_bytes
    finally:
        weft.set_memory_limit(d.id, before)


def test_set_memory_limit_errors():
    with pytest.raises(weft.NotFoundError):
        weft.set_memory_limit("tpu:0", 1 << 20)
    # an index past the last device: unknown device (the header does not say which code)
    with pytest.raises((weft.NotFoundError, weft.InvalidArgumentError)):
        weft.set_memory_limit(len(weft.devices()) + 5, 1 << 20)
    with pytest.raises(weft.InvalidArgumentError):
        weft.set_memory_limit("cpu", -1)
