"""CSV in and out: weft_read_csv (parallel, with type inference) and weft_write_csv.

Types inferred: bool, int64, float64, date32 (YYYY-MM-DD), timestamp[us]
(YYYY-MM-DD[ T]HH:MM:SS[.ffffff]), else utf8. ``schema_overrides`` maps column names to a
type: a weft type name ("int32", "utf8", "date32", ...), a Python type (int, float, str,
bool), a numpy dtype, or a Polars / pyarrow data type.
"""

from __future__ import annotations

import ctypes
import os
from typing import Any, Mapping, Optional, Sequence, Union

from . import _lib
from ._args import _run
from .errors import InvalidArgumentError, _check
from .expr import _TYPE_NAMES

__all__ = ["read_csv", "write_csv"]

_BY_NAME = _TYPE_NAMES
_BY_PYTYPE = {bool: _lib.WEFT_TYPE_BOOL, int: _lib.WEFT_TYPE_INT64, float: _lib.WEFT_TYPE_FLOAT64,
              str: _lib.WEFT_TYPE_UTF8}


def _type_code(spec: Any, column: str) -> int:
    """The weft_type code of a type given by name, Python type, numpy, Polars or pyarrow."""
    if isinstance(spec, int) and not isinstance(spec, bool) and 0 <= spec <= _lib.WEFT_TYPE_TIMESTAMP_US:
        return spec
    if isinstance(spec, type) and spec in _BY_PYTYPE:
        return _BY_PYTYPE[spec]
    if isinstance(spec, type) and spec.__module__ == "numpy":  # np.int32, np.float64, ...
        import numpy as np

        spec = np.dtype(spec).name
    text = spec if isinstance(spec, str) else str(spec)
    key = text.strip().lower()
    # Polars prints "Int64", "String", "Datetime(time_unit='us', time_zone=None)", "Date";
    # numpy "int64"; pyarrow "timestamp[us]".
    if key.startswith("datetime") and "ns" not in key and "ms" not in key:
        key = "datetime"
    if key in _BY_NAME:
        return _BY_NAME[key]
    raise InvalidArgumentError(
        f"schema_overrides[{column!r}]: unknown type {spec!r}; use one of {sorted(_BY_NAME)}"
    )


def read_csv(path: Union[str, os.PathLike], *, separator: str = ",", has_header: bool = True,
             null_values: Union[None, str, Sequence[str]] = None,
             schema_overrides: Optional[Mapping[str, Any]] = None,
             infer_schema_length: Optional[int] = 10000, device: Any = "auto",
             strict: bool = False) -> ctypes.c_void_p:
    """Reads a CSV file into a new table handle (weft.read_csv wraps it as a DataFrame),
    parsing chunks of rows in parallel on the CPU, or
    on the device chosen (device="auto", "cpu", "opencl", "cuda" or an id such as
    "opencl:0"): the host splits the file and infers the types, the device parses each
    record; the table is the CPU's either way. strict=True fails instead of falling back to
    the CPU."""
    path = os.fspath(path)
    if not isinstance(separator, str) or len(separator.encode("utf-8")) != 1:
        raise InvalidArgumentError(f"read_csv: separator must be one single-byte character, got {separator!r}")
    if null_values is None:
        nulls = None
    else:
        items = [null_values] if isinstance(null_values, str) else list(null_values)
        for v in items:
            if not isinstance(v, str) or "," in v:
                raise InvalidArgumentError(
                    f"read_csv: null_values must be strings without a comma, got {v!r}"
                )
        nulls = ",".join(items).encode("utf-8")
    if infer_schema_length is None or infer_schema_length == 0:
        infer = 2**62  # Polars: None scans every row
    elif isinstance(infer_schema_length, int) and infer_schema_length > 0:
        infer = infer_schema_length
    else:
        raise InvalidArgumentError(
            f"read_csv: infer_schema_length must be a positive int or None, got {infer_schema_length!r}"
        )
    overrides = dict(schema_overrides or {})
    names = (ctypes.c_char_p * max(len(overrides), 1))(
        *[str(k).encode("utf-8") for k in overrides]
    )
    types = (_lib.weft_type * max(len(overrides), 1))(
        *[_type_code(v, k) for k, v in overrides.items()]
    )
    opts = _lib.weft_csv_options(
        struct_size=ctypes.sizeof(_lib.weft_csv_options),
        delimiter=separator.encode("utf-8"),
        has_header=1 if has_header else 0,
        null_values=nulls,
        n_overrides=len(overrides),
        override_names=names,
        override_types=types,
        infer_rows=infer,
    )
    return _run("weft.read_csv", _lib.weft_read_csv, device, strict, path.encode("utf-8"),
                ctypes.byref(opts))


def write_csv(table: ctypes.c_void_p, path: Union[str, os.PathLike]) -> None:
    """Writes the table as CSV (header, nulls as empty fields), atomically."""
    path = os.fspath(path)
    _check(_lib.weft_write_csv(table, path.encode("utf-8")), "DataFrame.write_csv")
