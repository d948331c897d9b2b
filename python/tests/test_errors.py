import ctypes

import numpy as np
import pytest

import weft
from weft import _lib
from weft.errors import _check, _error

CLASSES = {
    _lib.WEFT_ERR_INVALID_ARGUMENT: (weft.InvalidArgumentError, ValueError),
    _lib.WEFT_ERR_OUT_OF_MEMORY: (weft.OutOfMemoryError, MemoryError),
    _lib.WEFT_ERR_DEVICE_MEMORY: (weft.DeviceMemoryError, weft.WeftError),
    _lib.WEFT_ERR_DEVICE: (weft.DeviceError, weft.WeftError),
    _lib.WEFT_ERR_UNSUPPORTED: (weft.UnsupportedError, weft.WeftError),
    _lib.WEFT_ERR_NOT_FOUND: (weft.NotFoundError, LookupError),
    _lib.WEFT_ERR_BACKEND_UNAVAILABLE: (weft.BackendUnavailableError, weft.WeftError),
    _lib.WEFT_ERR_IO: (weft.WeftIOError, OSError),
    _lib.WEFT_ERR_CORRUPT: (weft.CorruptError, weft.WeftError),
    _lib.WEFT_ERR_INTERNAL: (weft.InternalError, weft.WeftError),
}


@pytest.mark.parametrize("status", sorted(CLASSES))
def test_status_maps_to_class(status):
    cls, base = CLASSES[status]
    e = _error(status, "the message")
    assert type(e) is cls
    assert isinstance(e, weft.WeftError) and isinstance(e, base)
    assert e.status == status
    assert e.message == "the message"
    assert str(e) == "the message"
    assert e.status_name == _lib.weft_status_name(status).decode()
    assert e.status_name.startswith("WEFT_ERR_")
    assert "the message" in repr(e)
    with pytest.raises(cls):
        raise e


def test_io_error_is_a_plain_oserror():
    e = _error(_lib.WEFT_ERR_IO, "cannot read /nope")
    assert e.errno is None
    assert str(e) == "cannot read /nope"


def test_check_ok():
    _check(_lib.WEFT_OK)


def test_unknown_device_not_found():
    x = np.ones(4)
    for dev in ("tpu:0", "gpu"):
        with pytest.raises(weft.NotFoundError) as e:
            weft.axpy(1.0, x, x, device=dev)
        assert isinstance(e.value, LookupError)
        assert e.value.status == _lib.WEFT_ERR_NOT_FOUND
        assert dev.split(":")[0] in str(e.value), str(e.value)
    with pytest.raises(weft.NotFoundError) as e:
        weft.sum(x, device="tpu:0")
    assert "tpu" in str(e.value)
    with pytest.raises(weft.NotFoundError):
        weft.device("tpu")
    for b in weft.backends():
        if b.name == "cpu":
            continue
        if b.loaded:
            # a device number past the last one of a loaded backend
            with pytest.raises(weft.NotFoundError) as e:
                weft.axpy(1.0, x, x, device=f"{b.name}:99")
            assert f"{b.name}:99" in str(e.value)
        else:
            # an id of a backend that did not load: CPU fallback, or refused when strict
            np.testing.assert_array_equal(weft.axpy(1.0, x, x, device=f"{b.name}:0"), 2 * x)
            assert weft.last_device() == "cpu:0"
            assert b.name in weft.last_report()
            with pytest.raises(weft.BackendUnavailableError) as e:
                weft.axpy(1.0, x, x, device=f"{b.name}:0", strict=True)
            assert b.reason in str(e.value)
    # the thread's exec still works after a refused device
    assert weft.sum(x, device="cpu") == 4.0


def test_mismatched_lengths():
    with pytest.raises(weft.InvalidArgumentError) as e:
        weft.axpy(1.0, np.ones(3), np.ones(4))
    msg = str(e.value)
    assert isinstance(e.value, ValueError)
    assert "x" in msg and "y" in msg and "3" in msg and "4" in msg
    with pytest.raises(weft.InvalidArgumentError) as e:
        weft.axpy(1.0, np.ones(3), np.ones(3), x_valid=np.ones(2, dtype=bool))
    assert "x_valid" in str(e.value) and "2" in str(e.value) and "3" in str(e.value)
    with pytest.raises(weft.InvalidArgumentError) as e:
        weft.sum(np.ones(5), valid=np.ones(6, dtype=bool))
    assert "5" in str(e.value) and "6" in str(e.value)


def test_bad_arguments():
    x = np.ones(4)
    with pytest.raises(weft.InvalidArgumentError):
        weft.axpy("two", x, x)
    with pytest.raises(weft.InvalidArgumentError):
        weft.sum(x.astype(np.complex128))
    with pytest.raises(weft.InvalidArgumentError):
        weft.sum(np.array(["a", "b"]))
    with pytest.raises(weft.InvalidArgumentError):
        weft.sum(x, valid=np.ones(4, dtype=np.uint8))  # must be bool
    with pytest.raises(weft.InvalidArgumentError):
        weft.reduce(x, "mean")
    with pytest.raises(weft.InvalidArgumentError):
        weft.sum(x, device=[])
    with pytest.raises(weft.InvalidArgumentError):
        weft.sum(x, device=1.5)


def test_c_invalid_argument_names_it():
    # straight through the low-level binding: an unknown dtype
    x = np.ones(4)
    out = np.empty(4)
    status = _lib.weft_axpy(None, 7, 4, 1.0, x.ctypes.data, None, x.ctypes.data, None,
                            out.ctypes.data, None)  # fmt: skip
    assert status == _lib.WEFT_ERR_INVALID_ARGUMENT
    msg = _lib.weft_last_error().decode()
    assert "dtype" in msg, msg
    with pytest.raises(weft.InvalidArgumentError) as e:
        _check(status)
    assert str(e.value) == msg
    # NULL out pointer
    res = _lib.weft_reduce_result()
    status = _lib.weft_reduce(None, _lib.WEFT_FLOAT64, _lib.WEFT_REDUCE_SUM, 4, None, None,
                              ctypes.byref(res))  # fmt: skip
    assert status == _lib.WEFT_ERR_INVALID_ARGUMENT
    assert _lib.weft_last_error()


def test_strict_with_unsupported_dtype():
    no_fp64 = [d for d in weft.devices() if not d.has_fp64]
    if not no_fp64:
        pytest.skip("every device has fp64")
    x = np.ones(16)
    with pytest.raises(weft.UnsupportedError) as e:
        weft.sum(x, device=no_fp64[0].id, strict=True)
    assert e.value.message
    # without strict it falls back to the CPU
    assert weft.sum(x, device=no_fp64[0].id) == 16.0


def test_low_level_exec_errors():
    # an unknown device is refused when set, or at the latest when something runs
    ex = _lib.weft_exec_p()
    _check(_lib.weft_exec_create(ctypes.byref(ex)))
    try:
        with pytest.raises(weft.NotFoundError) as e:
            _check(_lib.weft_exec_set_device(ex, b"tpu:0"))
            x = np.ones(4)
            res = _lib.weft_reduce_result()
            _check(_lib.weft_reduce(ex, _lib.WEFT_FLOAT64, _lib.WEFT_REDUCE_SUM, 4,
                                    x.ctypes.data, None, ctypes.byref(res)))  # fmt: skip
        assert "tpu" in str(e.value)
    finally:
        _check(_lib.weft_exec_free(ex))


# ---------------------------------------------------------------------------- Python names

_DF = weft.DataFrame({"k": [1, 2, 3], "v": [1.0, 2.0, 3.0]})
_X = weft.col("x") > 1


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: _DF.filter(_X), "DataFrame.filter"),
        (lambda: _DF.select(weft.col("x")), "DataFrame.select"),
        (lambda: _DF.with_columns(weft.col("x")), "DataFrame.with_columns"),
        (lambda: _DF.select(weft.col("k") + "a"), "DataFrame.select"),
        (lambda: _DF.sort("x"), "DataFrame.sort"),
        (lambda: _DF.unique("x"), "DataFrame.unique"),
        (lambda: _DF.group_by("x").agg(weft.col("v").sum()), "DataFrame.group_by(...).agg"),
        (lambda: _DF.join(_DF, on="x"), "DataFrame.join"),
        (lambda: _DF["x"], "DataFrame[...]"),
        (lambda: _DF.get_column("x"), "DataFrame.get_column"),
        (lambda: weft.concat([_DF, _DF.select("k")]), "weft.concat"),
        (lambda: _DF.lazy().filter(_X), "LazyFrame.filter"),
        (lambda: _DF.lazy().select("x"), "LazyFrame.select"),
        (lambda: _DF.lazy().sort("x"), "LazyFrame.sort"),
        (lambda: _DF.lazy().unique("x"), "LazyFrame.unique"),
        (lambda: _DF.lazy().join(_DF.lazy(), on="x"), "LazyFrame.join"),
        (lambda: _DF.lazy().group_by("x").agg(weft.col("v").sum()), "LazyFrame.group_by(...).agg"),
        (lambda: _DF.lazy().collect(device="tpu"), "LazyFrame.collect(device=...)"),
        (lambda: _DF.lazy().explain(device="tpu"), "LazyFrame.explain(device=...)"),
        (lambda: _DF.sort("k", device="tpu"), "DataFrame.sort(device=...)"),
        (lambda: weft.axpy(1.0, np.ones(3), np.ones(3), device="tpu"), "weft.axpy(device=...)"),
        (lambda: weft.sum(np.ones(3), device="tpu"), "weft.sum(device=...)"),
        (lambda: weft.read_csv("/nonexistent/weft.csv"), "weft.read_csv"),
        (lambda: weft.load_index("/nonexistent/weft.idx"), "weft.load_index"),
        (lambda: weft.device("tpu"), "weft.device"),
    ],
)
def test_messages_name_the_python_call(call, name):
    # C messages start "weft_plan_filter: ..." (or nothing): the Python layer names the call
    with pytest.raises(weft.WeftError) as e:
        call()
    text = str(e.value)
    assert text.startswith(name + ": "), text
    assert "weft_" not in text.split(":")[0] and not any(
        w.startswith("weft_") and w.endswith(":") for w in text.split()
    ), text
    assert e.value.message == text


def test_python_message_rewrites_only_a_leading_c_name():
    from weft.errors import _python_message

    assert _python_message("weft_plan_join: weft_table_join: left key 0", "LazyFrame.join") == (
        "LazyFrame.join: left key 0"
    )
    assert _python_message("weft_x: a weft_y: b", "f") == "f: a weft_y: b"
    assert _python_message("read_csv: cannot open", "weft.read_csv") == "weft.read_csv: cannot open"
    assert _python_message("column x", "DataFrame.sort") == "DataFrame.sort: column x"
    assert _python_message("weft_index_load: bad", None) == "weft.load_index: bad"
    assert _python_message("weft_unknown_fn: bad", None) == "weft_unknown_fn: bad"
    assert _python_message("", "f") == ""
    # a C function quoted in the advice becomes its Python call; an unknown one stays
    assert _python_message("weft_ivf_add: not trained (call weft_ivf_train first)", "IVFIndex.add") == (
        "IVFIndex.add: not trained (call IVFIndex.train first)"
    )
    assert _python_message("bad (use weft_index_add)", None) == "bad (use FlatIndex.add)"
    e = _error(_lib.WEFT_ERR_INVALID_ARGUMENT, "weft_table_sort: bad")  # an explicit message stays
    assert str(e) == "weft_table_sort: bad"
