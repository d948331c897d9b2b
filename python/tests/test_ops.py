import builtins
import re
import threading

import numpy as np
import pytest

import weft
from conftest import DEVICES, device_params

SIZES = [0, 1, 7, 1000, 1_000_003]
DTYPES = [np.float32, np.float64]
CASES = ["plain", "valid", "masked", "nan"]
A = 2.5  # exact in float32


def _inputs(rng, n, dtype, case):
    """x, y and bool validity masks (True = valid, or None) for one case."""
    x = rng.standard_normal(n).astype(dtype)
    y = rng.standard_normal(n).astype(dtype)
    xv = yv = None
    if case in ("valid", "masked", "nan"):
        xv = rng.random(n) > 0.2
        yv = rng.random(n) > 0.3
    if case == "nan":
        x[rng.random(n) < 0.05] = np.nan
    return x, y, xv, yv


def _eps(dtype):
    return float(np.finfo(dtype).eps)


def _check_axpy(out, x, y, valid, dtype):
    assert out.dtype == np.dtype(dtype)
    assert out.shape == x.shape
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    exp = A * x64 + y64
    bound = 4 * _eps(dtype) * (np.abs(A * x64) + np.abs(y64)) + 1e-300
    if valid is None:
        valid = np.ones(x.shape, dtype=bool)
    o = out.astype(np.float64)
    nan = np.isnan(exp)
    assert np.array_equal(np.isnan(o[valid]), nan[valid]), "NaN where NaN expected"
    ok = valid & ~nan
    err = np.abs(o[ok] - exp[ok])
    assert np.all(err <= bound[ok]), f"max error {err.max() if err.size else 0}"
    assert np.all(o[~valid] == 0), "null slots must hold 0"


def _check_sum(got, values, dtype):
    v64 = values.astype(np.float64)
    exp = float(np.sum(v64))
    assert isinstance(got, float)
    if np.isnan(exp):
        assert np.isnan(got)
        return
    scale = float(np.sum(np.abs(v64)))
    if dtype == np.float64:
        rtol, atol = 1e-9, 1e-12 * scale
    else:
        rtol, atol = 1e-6, 1e-6 * scale
    assert got == pytest.approx(exp, rel=rtol, abs=atol)


def _expected_minmax(values, fn):
    if values.size == 0:
        return None
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return float("nan")  # only NaN values: NaN, not null
    return float(fn(finite))


def _check_minmax(got, exp):
    if exp is None:
        assert got is None
    elif np.isnan(exp):
        assert got is not None and np.isnan(got)
    else:
        assert isinstance(got, float)
        assert got == exp


def _run_axpy(x, y, xv, yv, case, device, **kw):
    """(out, out_valid or None) by the calling convention the case exercises."""
    if case == "masked":
        mx = np.ma.MaskedArray(x, mask=~xv)
        my = np.ma.MaskedArray(y, mask=~yv)
        res = weft.axpy(A, mx, my, device=device, **kw)
        assert isinstance(res, np.ma.MaskedArray)
        return np.ma.getdata(res), ~np.ma.getmaskarray(res)
    if xv is None:
        out = weft.axpy(A, x, y, device=device, **kw)
        assert isinstance(out, np.ndarray)
        return out, None
    out, valid = weft.axpy(A, x, y, device=device, x_valid=xv, y_valid=yv, **kw)
    assert valid.dtype == np.bool_ and valid.shape == x.shape
    return out, valid


def _run_reductions(x, xv, case, device, **kw):
    if case == "masked":
        mx = np.ma.MaskedArray(x, mask=~xv)
        return (weft.sum(mx, device=device, **kw), weft.min(mx, device=device, **kw),
                weft.max(mx, device=device, **kw))  # fmt: skip
    return (weft.sum(x, valid=xv, device=device, **kw), weft.min(x, valid=xv, device=device, **kw),
            weft.max(x, valid=xv, device=device, **kw))  # fmt: skip


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("dev", device_params())
def test_axpy(dev, dtype, n, case, rng):
    x, y, xv, yv = _inputs(rng, n, dtype, case)
    x0, y0 = x.copy(), y.copy()
    out, valid = _run_axpy(x, y, xv, yv, case, dev.id)
    if xv is not None:
        assert np.array_equal(valid, xv & yv)
    _check_axpy(out, x, y, valid, dtype)
    assert np.array_equal(x, x0, equal_nan=True) and np.array_equal(y, y0), "inputs changed"
    assert weft.last_device() in (dev.id, "cpu:0")
    assert isinstance(weft.last_report(), str)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("dev", device_params())
def test_reductions(dev, dtype, n, case, rng):
    x, _, xv, _ = _inputs(rng, n, dtype, case)
    s, lo, hi = _run_reductions(x, xv, case, dev.id)
    values = x if xv is None else x[xv]
    _check_sum(s, values, dtype)
    _check_minmax(lo, _expected_minmax(values.astype(np.float64), np.min))
    _check_minmax(hi, _expected_minmax(values.astype(np.float64), np.max))
    r = weft.reduce(x, "sum", valid=xv, device=dev.id)
    assert r.count == values.size
    assert not r.is_null
    if n == 0:
        assert s == 0.0


@pytest.mark.parametrize("case", ["plain", "valid", "nan"])
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("dev", device_params())
def test_partitioned_under_memory_limit(dev, dtype, case, rng):
    n = 1_000_003
    x, y, xv, yv = _inputs(rng, n, dtype, case)
    limit = x.nbytes // 8  # far below x + y + out: the rows must be split
    used_before = weft.device(dev.id).memory_used_bytes
    with weft.memory_limit(dev.id, limit):
        assert weft.device(dev.id).memory_limit_bytes == limit
        out, valid = _run_axpy(x, y, xv, yv, case, dev.id)
        report = weft.last_report()
        s, lo, hi = _run_reductions(x, xv, case, dev.id)
    assert weft.device(dev.id).memory_limit_bytes == dev.memory_limit_bytes
    assert weft.device(dev.id).memory_used_bytes == used_before, "device memory leaked"
    assert report
    counts = [int(c) for c in re.findall(r"(\d+) partitions", report)]
    if counts:  # the report format is the C library's; check it when it says
        assert builtins.max(counts) > 1, report
    _check_axpy(out, x, y, valid, dtype)
    values = x if xv is None else x[xv]
    _check_sum(s, values, dtype)
    _check_minmax(lo, _expected_minmax(values.astype(np.float64), np.min))
    _check_minmax(hi, _expected_minmax(values.astype(np.float64), np.max))


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("dev", device_params())
def test_strict_runs_on_the_device_or_refuses(dev, dtype, rng):
    x, y, _, _ = _inputs(rng, 10_000, dtype, "plain")
    if dtype == np.float64 and not dev.has_fp64:
        with pytest.raises(weft.UnsupportedError) as e:
            weft.axpy(A, x, y, device=dev.id, strict=True)
        assert str(e.value)
        return
    out = weft.axpy(A, x, y, device=dev.id, strict=True)
    _check_axpy(out, x, y, None, dtype)
    assert weft.last_device() == dev.id
    _check_sum(weft.sum(x, device=dev.id, strict=True), x, dtype)
    assert weft.last_device() == dev.id


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_auto_and_split_over_all_devices(dtype, rng):
    x, y, xv, yv = _inputs(rng, 300_007, dtype, "valid")
    for device in ("auto", [d.id for d in DEVICES], ",".join(d.id for d in DEVICES), DEVICES):
        out, valid = weft.axpy(A, x, y, device=device, x_valid=xv, y_valid=yv)
        assert np.array_equal(valid, xv & yv)
        _check_axpy(out, x, y, valid, dtype)
        assert weft.last_device() in [d.id for d in DEVICES]
        _check_sum(weft.sum(x, valid=xv, device=device), x[xv], dtype)
        assert weft.last_report()


def test_only_one_side_valid(rng):
    x, y, xv, _ = _inputs(rng, 1001, np.float64, "valid")
    out, valid = weft.axpy(A, x, y, y_valid=xv)
    assert np.array_equal(valid, xv)
    _check_axpy(out, x, y, valid, np.float64)
    mx = np.ma.MaskedArray(x, mask=~xv)
    res = weft.axpy(A, mx, y)
    assert isinstance(res, np.ma.MaskedArray)
    assert np.array_equal(np.ma.getmaskarray(res), ~xv)
    # masked arrays with nomask: everything valid
    res = weft.axpy(A, np.ma.MaskedArray(x), np.ma.MaskedArray(y))
    assert not np.ma.getmaskarray(res).any()
    _check_axpy(np.ma.getdata(res), x, y, None, np.float64)


def test_dtype_conversions(rng):
    xi = np.arange(100, dtype=np.int32)
    yi = np.arange(100, dtype=np.int64)
    out = weft.axpy(2, xi, yi)
    assert out.dtype == np.float64
    assert np.array_equal(out, 3.0 * np.arange(100))
    assert weft.sum(xi) == 4950.0
    assert weft.min(np.array([3, -2, 7], dtype=np.int8)) == -2.0
    assert weft.max(np.array([True, False])) == 1.0
    # mixed float32 / float64 promote to float64
    x32 = rng.standard_normal(50).astype(np.float32)
    y64 = rng.standard_normal(50)
    out = weft.axpy(A, x32, y64)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, A * x32.astype(np.float64) + y64, rtol=1e-15)
    # lists work
    assert weft.sum([1.0, 2.0, 3.5]) == 6.5
    assert np.array_equal(weft.axpy(1.0, [1.0, 2.0], [3.0, 4.0]), [4.0, 6.0])


def test_non_contiguous_and_2d(rng):
    base = rng.standard_normal(2000)
    x, y = base[::2], base[1::2]
    out = weft.axpy(A, x, y)
    _check_axpy(out, x, y, None, np.float64)
    x2 = rng.standard_normal((30, 40)).astype(np.float32)
    y2 = rng.standard_normal((30, 40)).astype(np.float32)
    out2 = weft.axpy(A, x2, y2)
    assert out2.shape == (30, 40)
    _check_axpy(out2, x2, y2, None, np.float32)
    _check_sum(weft.sum(x2), x2.ravel(), np.float32)
    _check_sum(weft.sum(x2.T), x2.ravel(), np.float32)


def test_min_max_nan_handling():
    x = np.array([np.nan, 3.0, -1.0, np.nan])
    assert weft.min(x) == -1.0
    assert weft.max(x) == 3.0
    assert np.isnan(weft.sum(x))
    assert weft.sum(x, valid=~np.isnan(x)) == 2.0
    assert np.isnan(weft.min(np.array([np.nan, np.nan])))
    assert weft.min(np.array([1.0, 2.0]), valid=np.array([False, False])) is None
    assert weft.max(np.array([], dtype=np.float32)) is None
    r = weft.reduce(np.array([1.0, 2.0]), "min", valid=np.array([False, False]))
    assert r.is_null and r.count == 0


def test_last_report_is_per_thread():
    x = np.arange(10.0)
    weft.sum(x, device="cpu")
    main_report = weft.last_report()
    assert main_report
    assert weft.last_device() == "cpu:0"
    seen = {}

    def worker():
        seen["before"] = (weft.last_report(), weft.last_device())
        weft.axpy(1.0, x, x, device=DEVICES[-1].id)
        seen["after"] = (weft.last_report(), weft.last_device())

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen["before"] == ("", None)
    assert seen["after"][0]
    assert seen["after"][1] in (DEVICES[-1].id, "cpu:0")
    assert weft.last_report() == main_report
    assert weft.last_device() == "cpu:0"


def test_threads_concurrently(rng):
    x, y, xv, yv = _inputs(rng, 200_003, np.float64, "valid")
    errors = []

    def worker(dev_id):
        try:
            for _ in range(5):
                out, valid = weft.axpy(A, x, y, x_valid=xv, y_valid=yv, device=dev_id)
                _check_axpy(out, x, y, valid, np.float64)
                _check_sum(weft.sum(x, valid=xv, device=dev_id), x[xv], np.float64)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(d.id,)) for d in DEVICES * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_exec_object():
    with weft.Exec() as ex:
        assert ex.report == "" and ex.last_device is None
        ex.configure("cpu", strict=True)
    with pytest.raises(weft.InvalidArgumentError):
        ex.configure("cpu")
