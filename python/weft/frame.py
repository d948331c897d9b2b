"""DataFrame: an immutable table of named, typed, nullable columns in Arrow's layout.

    >>> df = weft.DataFrame({"id": np.arange(5), "name": ["a", "b", None, "d", "e"]})
    >>> df.shape, df.schema
    ((5, 2), {'id': 'int64', 'name': 'utf8'})
    >>> df["id"].to_numpy()            # no copy
    >>> pa_table = df.to_arrow()       # no copy, as are pyarrow.table(df), polars.DataFrame(df)
    >>> df = weft.from_arrow(pa_table)  # or a Polars / pandas DataFrame
    >>> df.filter(weft.col("id") > 2).sort("name")

Numeric numpy arrays are used in place (mutating one shows through the DataFrame); lists are
converted. Types: bool, int8-64, uint8-64, float32/64, utf8, date32, timestamp[us].
Nulls follow Polars: None in lists, masked entries of numpy masked arrays, NaT; NaN stays a
float value. select / with_columns / filter / group_by / sort / unique / join run in C on
the device chosen (device="auto", or a device id), like the rest of weft.
"""

from __future__ import annotations

import ctypes
import html
import importlib
import os
import weakref
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence, Union

import numpy as np

from . import _csv, _group, _join, _lib, _select, _table_index, _vectors
from . import lazy as _lazy
from ._atomic import atomic_path
from ._args import _flatten, _names, _row_index_args, _run
from ._arrow import stream_capsule, table_from_arrow
from ._columns import (TYPE_NAMES, _valid, _values, column_view, pick_columns, table_from_columns,
                       to_list, to_numpy)
from ._series_ops import SeriesOps
from .errors import InvalidArgumentError, UnsupportedError, _check, python_call
from .expr import col
from .lazy import LazyFrame

__all__ = ["DataFrame", "Series", "GroupBy", "from_arrow", "read_csv", "read_parquet", "concat"]

Names = Union[str, Sequence[str]]

_REPR_ROWS = 10  # rows shown; more are elided in the middle
_REPR_COLS = 12  # columns shown; more are elided in the middle
_REPR_CELL = 32  # characters of a cell shown
# Polars' notebook style: cells right-aligned, line breaks inside a cell kept
_HTML_STYLE = ("<style>\n.dataframe > thead > tr,\n.dataframe > tbody > tr {\n  text-align: right;\n"
               "  white-space: pre-wrap;\n}\n</style>\n")


def _vector_dim(df, column, where):
    dtype = df.schema.get(column, "") if isinstance(column, str) else ""
    return int(dtype[len("array[f32, "):-1]) if dtype.startswith("array[f32, ") else 1


def _require(module, what):
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"{what} needs {module}: pip install {module}") from None


def _int_arg(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise InvalidArgumentError(f"{name} must be an integer, got {value!r}")
    return int(value)


def _call(where, fn, *args):
    """fn(*args, &out) -> a new table handle; `where` names the Python call in errors."""
    out = _lib.weft_table_p()
    _check(fn(*args, ctypes.byref(out)), where)
    return out


# ---------------------------------------------------------------------------- construction


def _foreign_column(name, value):
    """A one-column DataFrame for a pyarrow Array / ChunkedArray, a Polars or pandas
    Series, or None when `value` is none of them."""
    module = type(value).__module__.split(".")[0]
    if module == "pyarrow":
        pa = _require("pyarrow", "DataFrame(pyarrow arrays)")
        return from_arrow(pa.table({name: value}), _where="weft.DataFrame")
    if module == "polars" and hasattr(value, "to_frame"):
        return from_arrow(value.to_frame(name), _where="weft.DataFrame")
    if module == "pandas" and hasattr(value, "to_frame"):
        return from_arrow(value.to_frame(name), _where="weft.DataFrame")
    return None


def _from_dict(data):
    names, views, keep, lengths, frames = [], [], [], {}, []
    for name, value in data.items():
        if not isinstance(name, str):
            raise InvalidArgumentError(f"DataFrame: column names must be str, got {name!r}")
        if isinstance(value, Series):
            value = value.to_frame(name)
        else:  # (not `or`: an empty frame is falsy)
            foreign = _foreign_column(name, value)
            value = value if foreign is None else foreign
        if isinstance(value, DataFrame):  # one column, used in place
            view, held = value._view(0), [value]
        else:
            view, held = column_view(name, value)
        frames.append(value if isinstance(value, DataFrame) else None)
        names.append(name)
        views.append(view)
        keep.extend(held)
        lengths[name] = view.length
    if len(set(lengths.values())) > 1:
        desc = ", ".join(f"{k!r} has {n}" for k, n in lengths.items())
        raise InvalidArgumentError(f"weft.DataFrame: columns must have the same length: {desc}")
    if any(v.type == _lib.WEFT_TYPE_CATEGORICAL for v in views):  # a dictionary: shared in C
        plain = [i for i, v in enumerate(views) if v.type != _lib.WEFT_TYPE_CATEGORICAL]
        rest = DataFrame._from_handle(table_from_columns(
            [names[i] for i in plain], [views[i] for i in plain], keep)) if plain else None
        sources = [(frames[i]._handle, 0) if v.type == _lib.WEFT_TYPE_CATEGORICAL
                   else (rest._handle, plain.index(i)) for i, v in enumerate(views)]
        return pick_columns(sources, names)
    return table_from_columns(names, views, keep)


def _numpy_columns(arr):
    """{name: column} of a 1-D or 2-D numpy array, as Polars: rows are the first axis,
    columns "column_0", "column_1", ..."""
    if arr.ndim == 1:
        return {"column_0": arr}
    if arr.ndim != 2:
        raise InvalidArgumentError(
            f"weft.DataFrame: a numpy array must be 1-D or 2-D (rows, columns), got shape {arr.shape}"
        )
    return {f"column_{j}": arr[:, j] for j in range(arr.shape[1])}


def _row_columns(rows):
    """{name: list} of a list of dicts (one a row, as Polars): the names in order of first
    appearance, a name a row lacks a null there."""
    names = {}
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise InvalidArgumentError(
                "weft.DataFrame: a list is read as rows, each a dict of column name -> value; "
                f"row {i} is a {type(row).__name__} (for columns pass a dict of lists)"
            )
        for name in row:
            names.setdefault(name, None)
    return {name: [row.get(name) for row in rows] for name in names}


def _is_table_like(obj):
    """True for what from_arrow takes: the Arrow PyCapsule Interface or pandas."""
    return (hasattr(obj, "__arrow_c_stream__") or hasattr(obj, "__arrow_c_array__")
            or type(obj).__module__.split(".")[0] == "pandas")


def _timestamp_us(pa, name, col, where):
    """A timestamp column of another unit (pandas' ns, s, ms) as timestamp[us], weft's
    type, when no value changes; else weft's error naming the column."""
    t = col.type
    try:
        return col.cast(pa.timestamp("us", t.tz))  # a safe cast: raises rather than lose data
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InvalidArgumentError(
            f"{where}: column {name!r} is timestamp[{t.unit}] and some values do not fit "
            f"weft's timestamp[us] (finer than a microsecond, or out of range: {exc}); round "
            "the column to microseconds first (pandas: .dt.floor('us'))"
        ) from None


def _to_stored_types(obj, where):
    """A pyarrow Table / RecordBatch or Polars DataFrame with columns in types weft does not
    store as they are: a pyarrow Table with them cast; else `obj` itself (no copy).
    Timestamps of another unit than weft's (us) are cast (see _timestamp_us). Arrow's null
    type (a Polars Null column, pa.nulls) becomes float64 of nulls, as an all-None pandas
    column does: weft has no column type without values."""
    module = type(obj).__module__.split(".")[0]
    if module == "polars" and hasattr(obj, "schema") and hasattr(obj, "to_arrow"):
        dtypes = [str(t) for t in obj.schema.values()]
        units = [getattr(t, "time_unit", None) for t in obj.schema.values()
                 if str(t).startswith("Datetime")]
        if not any(u not in (None, "us") for u in units) and "Null" not in dtypes:
            return obj
        obj, module = obj.to_arrow(), "pyarrow"
    if module != "pyarrow" or not hasattr(obj, "schema") or not hasattr(obj, "columns"):
        return obj
    import pyarrow as pa

    def stored(field, col):
        if pa.types.is_timestamp(field.type) and field.type.unit != "us":
            return _timestamp_us(pa, field.name, col, where)
        if pa.types.is_null(field.type):
            return col.cast(pa.float64())
        return col

    if not any((pa.types.is_timestamp(f.type) and f.type.unit != "us") or pa.types.is_null(f.type)
               for f in obj.schema):
        return obj
    columns = [stored(f, c) for f, c in zip(obj.schema, obj.columns)]
    return pa.table(columns, names=obj.schema.names)


def _pandas_to_arrow(obj, where="weft.from_arrow"):
    """A pyarrow Table of a pandas DataFrame / Series in types weft stores."""
    pa = _require("pyarrow", f"{where}(pandas.DataFrame)")
    if hasattr(obj, "to_frame") and not hasattr(obj, "columns"):
        obj = obj.to_frame()
    table = pa.Table.from_pandas(obj, preserve_index=False)
    columns = []
    for field, col in zip(table.schema, table.columns):
        t = field.type
        if pa.types.is_dictionary(t) and not (pa.types.is_string(t.value_type)
                                              or pa.types.is_large_string(t.value_type)):
            col = col.cast(t.value_type)  # a pandas Categorical of numbers: its values
        elif pa.types.is_timestamp(t) and t.unit != "us":  # pandas' ns
            col = _timestamp_us(pa, field.name, col, where)
        elif pa.types.is_null(t):  # an all-None object column
            col = col.cast(pa.float64())
        columns.append(col)
    return pa.table(columns, names=table.column_names)


def _pyarrow_parquet(what):
    try:
        import pyarrow.parquet as pq
    except ImportError as e:
        raise UnsupportedError(f"{what}: Parquet goes through pyarrow, which is not installed "
                               "(pip install pyarrow)") from e
    return pq


def read_parquet(path: Union[str, os.PathLike], columns: Optional[Sequence[str]] = None) -> "DataFrame":
    """A DataFrame from a Parquet file, read by pyarrow (only `columns`, if given)."""
    pq = _pyarrow_parquet("read_parquet")
    return from_arrow(pq.read_table(os.fspath(path), columns=columns), _where="weft.read_parquet")


def _arrow_handle(obj: Any, where: str) -> ctypes.c_void_p:
    """A new table handle of what from_arrow takes (see there)."""
    if type(obj).__module__.split(".")[0] == "pandas":
        obj = _pandas_to_arrow(obj, where)
    obj = _to_stored_types(obj, where)
    handle = table_from_arrow(obj, where)
    if handle is None:
        raise InvalidArgumentError(
            f"{where}: expected an object with __arrow_c_stream__ or __arrow_c_array__ "
            f"(pyarrow, Polars) or a pandas DataFrame, got {type(obj).__name__}"
        )
    return handle


def from_arrow(obj: Any, *, _where: str = "weft.from_arrow") -> "DataFrame":
    """A DataFrame from anything that speaks the Arrow PyCapsule Interface (a pyarrow Table,
    RecordBatch or RecordBatchReader, a Polars DataFrame, ...) or a pandas
    DataFrame (through pyarrow). One record batch is used without copying; several are
    concatenated. Polars' string views are copied into weft's utf8. Timestamps of another
    unit than weft's microseconds (pandas' ns; pyarrow's and Polars' ns, ms, s) become
    timestamp[us] when no value changes (a copy of that column); else
    weft.InvalidArgumentError names the column. (Other Arrow producers' timestamps other
    than [us] are refused: cast them first.)"""
    if isinstance(obj, DataFrame):
        return obj
    return DataFrame._from_handle(_arrow_handle(obj, _where))


def concat(frames: Sequence[Any]) -> "DataFrame":
    """The rows of every DataFrame one after another (names and types must match)."""
    frames = [f if isinstance(f, DataFrame) else DataFrame(f) for f in frames]
    if not frames:
        raise InvalidArgumentError("weft.concat: needs at least one DataFrame")
    handles = (_lib.weft_table_p * len(frames))(*[f._handle for f in frames])
    return DataFrame._from_handle(_call("weft.concat", _lib.weft_table_concat, len(frames), handles))


# ---------------------------------------------------------------------------- DataFrame


class DataFrame:
    """An immutable table of named columns of equal length.

    DataFrame(data): data is a dict of column name -> numpy array, list, weft Series,
    pyarrow array or Polars / pandas Series; a list of dicts, one a row (as Polars; a key
    a row lacks is null there); a 2-D numpy array of rows (columns "column_0", ... as
    Polars; 1-D: one column); a pyarrow / Polars / pandas DataFrame (see weft.from_arrow);
    or None for a DataFrame without columns.
    """

    @python_call("weft.DataFrame")
    def __init__(self, data: Any = None) -> None:
        if data is None:
            data = {}
        if isinstance(data, DataFrame):
            handle = _call("weft.DataFrame", _lib.weft_table_slice, data._handle, 0, data.height)  # shares buffers
            self._own(handle)
            data._keeping_indexes(self)
            return
        elif isinstance(data, dict):
            handle = _from_dict(data)
        elif isinstance(data, np.ndarray) and not isinstance(data, np.ma.MaskedArray):
            handle = _from_dict(_numpy_columns(data))
        elif isinstance(data, (list, tuple)):
            handle = _from_dict(_row_columns(data))
        elif _is_table_like(data):
            handle = _arrow_handle(data, "weft.DataFrame")
        else:
            raise InvalidArgumentError(
                "weft.DataFrame: expected a dict of columns, a list of dicts (rows), a 1-D or "
                "2-D numpy array, a pyarrow / Polars / pandas DataFrame or None, got "
                f"{type(data).__name__}"
            )
        self._own(handle)

    def _own(self, handle: ctypes.c_void_p) -> None:
        """Takes ownership of a weft_table handle: freed when the DataFrame is collected, or
        at interpreter exit (weakref.finalize, as every handle this package owns)."""
        self._handle = handle
        self._finalizer = weakref.finalize(self, _lib.weft_table_free, handle)
        self._indexes = {}  # column -> (TableIndex, the frame it was made on, its Binding)

    def _keeping_indexes(self, out: "DataFrame") -> "DataFrame":
        """`out` (made from this frame) with the indexes whose column it still holds as it
        is here: the same buffer and rows (see _table_index)."""
        for name, entry in self._indexes.items():
            if _table_index.matches(out._handle, entry[0], entry[2]):
                out._indexes[name] = entry
        return out

    @classmethod
    def _from_handle(cls, handle: Union[ctypes.c_void_p, int]) -> "DataFrame":
        """Wraps a weft_table handle (a c_void_p or int), which the DataFrame now owns."""
        if not isinstance(handle, ctypes.c_void_p):
            handle = ctypes.c_void_p(handle)
        if not handle.value:
            raise InvalidArgumentError("DataFrame._from_handle: NULL table")
        df = cls.__new__(cls)
        df._own(handle)
        return df

    # ------------------------------------------------------------------ schema

    @property
    def height(self) -> int:
        rows = ctypes.c_int64()
        _check(_lib.weft_table_num_rows(self._handle, ctypes.byref(rows)))
        return rows.value

    @property
    def width(self) -> int:
        n = ctypes.c_size_t()
        _check(_lib.weft_table_num_columns(self._handle, ctypes.byref(n)))
        return n.value

    @property
    def shape(self) -> tuple[int, int]:
        return (self.height, self.width)

    def __len__(self) -> int:
        return self.height

    def _name(self, i):
        name = ctypes.c_char_p()
        _check(_lib.weft_table_column_name(self._handle, i, ctypes.byref(name)))
        return name.value.decode("utf-8")

    def _view(self, i):
        view = _lib.weft_column_view()
        _check(_lib.weft_table_column(self._handle, i, ctypes.byref(view)))
        if view.type == _lib.WEFT_TYPE_CATEGORICAL:  # its strings, for to_list / to_numpy
            view.dictionary = _lib.weft_column_view()
            view.ordered = ctypes.c_int()
            _check(_lib.weft_table_column_dictionary(self._handle, i, ctypes.byref(view.dictionary),
                                                     ctypes.byref(view.ordered)))
        return view

    def _index(self, name, where="DataFrame[...]"):
        if not isinstance(name, str):
            raise InvalidArgumentError(f"{where}: column names are str, got {name!r}")
        i = ctypes.c_size_t()
        _check(_lib.weft_table_column_index(self._handle, name.encode("utf-8"), ctypes.byref(i)),
               where)
        return i.value

    @property
    def columns(self) -> list[str]:
        """The column names, in order."""
        return [self._name(i) for i in range(self.width)]

    @property
    def dtypes(self) -> list[str]:
        """The column types as weft type names ("int64", "utf8", "timestamp[us]", ...)."""
        return [TYPE_NAMES[self._view(i).type] for i in range(self.width)]

    @property
    def schema(self) -> dict[str, str]:
        """{column name: weft type name}."""
        return dict(zip(self.columns, self.dtypes))

    # ------------------------------------------------------------------ columns and rows

    def get_column(self, name: str) -> "Series":
        return Series(self, self._index(name, "DataFrame.get_column"))

    def __getitem__(self, key: Any) -> Union["Series", "DataFrame"]:
        """df["a"]: a Series; df[["a", "b"]]: those columns; df[2:5]: those rows;
        df[mask]: the rows where a bool Series or numpy bool array is true (null: false)."""
        if isinstance(key, str):
            return Series(self, self._index(key))
        if isinstance(key, Series) or (isinstance(key, np.ndarray) and key.dtype == np.bool_):
            return self._masked(key, "DataFrame[mask]")
        if isinstance(key, (list, tuple)):
            return self._columns([self._index(k) for k in key])
        if isinstance(key, slice):
            start, stop, step = key.indices(self.height)
            if step != 1:
                raise InvalidArgumentError(f"DataFrame rows: slice step must be 1, got {step}")
            return self.slice(start, max(stop - start, 0))
        raise InvalidArgumentError(
            f"DataFrame[...]: expected a column name, a list of names or a slice of rows, got {key!r}"
        )

    def _masked(self, mask, where):
        """The rows where `mask` (a bool Series or 1-D numpy bool array) is true."""
        if isinstance(mask, Series):
            if mask.dtype != "bool":
                raise InvalidArgumentError(f"{where}: the mask Series {mask.name!r} is {mask.dtype}, not bool")
            view, held = mask._view(), [mask._df]
        else:
            if mask.ndim != 1:
                raise InvalidArgumentError(f"{where}: the mask must be 1-D, got shape {mask.shape}")
            view, held = column_view("mask", mask)
        if view.length != self.height:
            raise InvalidArgumentError(
                f"{where}: the mask has {view.length} values, the DataFrame {self.height} rows"
            )
        names = self.columns
        tmp = "__weft_mask__"
        while tmp in names:
            tmp += "_"
        mask_df = mask._df if isinstance(mask, Series) else \
            DataFrame._from_handle(table_from_columns([tmp], [view], held))
        mask_at = mask._index if isinstance(mask, Series) else 0
        sources = [(self._handle, i) for i in range(len(names))] + [(mask_df._handle, mask_at)]
        both = DataFrame._from_handle(pick_columns(sources, names + [tmp]))
        kept = both.filter(col(tmp))
        return kept._columns(range(len(names)))

    def drop(self, *columns: Names, strict: bool = True) -> "DataFrame":
        """The DataFrame without the named columns (names or lists of names; strict: an
        unknown name is an error), sharing the buffers."""
        names = _flatten(columns)
        for n in names:
            if not isinstance(n, str):
                raise InvalidArgumentError(f"DataFrame.drop: column names are str, got {n!r}")
        have = self.columns
        if strict:
            for n in names:
                if n not in have:
                    self._index(n, "DataFrame.drop")  # raises NotFoundError naming the columns
        gone = set(names)
        return self._columns([i for i, n in enumerate(have) if n not in gone])

    def rename(self, mapping: Union[Mapping[str, str], Callable[[str], str]], *,
               strict: bool = True) -> "DataFrame":
        """The DataFrame with columns renamed: `mapping` a dict {old: new} or a function of
        the old name (as Polars); strict: an unknown old name is an error. Shares the buffers."""
        have = self.columns
        if callable(mapping):
            new = [mapping(n) for n in have]
        elif isinstance(mapping, dict):
            if strict:
                for old in mapping:
                    if old not in have:
                        self._index(old, "DataFrame.rename")  # raises NotFoundError
            new = [mapping.get(n, n) for n in have]
        else:
            raise InvalidArgumentError(
                f"DataFrame.rename: expected a dict {{old: new}} or a function, got {type(mapping).__name__}"
            )
        for n in new:
            if not isinstance(n, str):
                raise InvalidArgumentError(f"DataFrame.rename: new names are str, got {n!r}")
        if len(set(new)) != len(new):
            raise InvalidArgumentError(f"DataFrame.rename: column names repeat in {new}")
        out = DataFrame._from_handle(pick_columns([(self._handle, i) for i in range(len(have))], new))
        renamed = dict(zip(have, new))
        for name, (tix, src, ident) in self._indexes.items():  # the index follows its column
            if renamed[name] == name:
                out._indexes[name] = (tix, src, ident)
        return out

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def __iter__(self) -> Iterator["Series"]:
        """The columns, as Series (like Polars)."""
        return (Series(self, i) for i in range(self.width))

    def _columns(self, indices):
        """A DataFrame of some of the columns, sharing their buffers."""
        names = [self._name(i) for i in indices]
        if len(set(names)) != len(names):
            raise InvalidArgumentError(f"DataFrame: column names repeat in {names}")
        return self._keeping_indexes(DataFrame._from_handle(
            pick_columns([(self._handle, i) for i in indices], names)))

    @python_call("DataFrame.slice")
    def slice(self, offset: int, length: Optional[int] = None) -> "DataFrame":
        """Rows [offset, offset + length) without copying; a negative offset counts from the
        end (a window starting before row 0 is cut there, as Polars); length None: to the
        end. Clipped to the table."""
        offset, h = _int_arg(offset, "offset"), self.height
        if length is not None:
            length = _int_arg(length, "length")
        if offset < 0:
            offset += h
            if offset < 0:  # a window starting before row 0 is cut there, as Polars (and lazy)
                if length is not None and length >= 0:
                    length = max(length + offset, 0)
                offset = 0
        if length is None:
            length = max(h - offset, 0)
        if length < 0:
            length = max(h - offset + length, 0)
        return DataFrame._from_handle(_call("DataFrame.slice", _lib.weft_table_slice, self._handle, offset, length))

    @python_call("DataFrame.head")
    def head(self, n: int = 5) -> "DataFrame":
        """The first n rows (n < 0: all but the last -n)."""
        n = _int_arg(n, "n")
        return self.slice(0, n if n >= 0 else max(self.height + n, 0))

    @python_call("DataFrame.tail")
    def tail(self, n: int = 5) -> "DataFrame":
        """The last n rows (n < 0: all but the first -n)."""
        n, h = _int_arg(n, "n"), self.height
        return self.slice(max(h - n, 0) if n >= 0 else min(-n, h))

    # ------------------------------------------------------------------ interchange

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """The Arrow PyCapsule Interface: a stream of one record batch sharing the buffers.
        requested_schema is not honoured (allowed by the protocol): weft exports its types."""
        return stream_capsule(self._handle)

    def to_arrow(self) -> Any:
        """A pyarrow.Table sharing the buffers (needs pyarrow)."""
        pa = _require("pyarrow", "DataFrame.to_arrow()")
        return pa.RecordBatchReader.from_stream(self).read_all()

    def to_polars(self) -> Any:
        """A polars.DataFrame (needs polars; strings are copied by Polars into its own layout)."""
        pl = _require("polars", "DataFrame.to_polars()")
        return pl.DataFrame(self)

    def to_pandas(self) -> Any:
        """A pandas.DataFrame (through pyarrow when present, else from numpy arrays)."""
        pd = _require("pandas", "DataFrame.to_pandas()")
        try:
            importlib.import_module("pyarrow")
        except ImportError:
            return pd.DataFrame({s.name: s.to_numpy() for s in self})
        return self.to_arrow().to_pandas()

    def to_numpy(self, *, order: str = "fortran") -> np.ndarray:
        """A 2-D array (rows, columns), as Polars: numbers and bool in their common supertype
        (numpy's promotion: float64 for int32 with float32), ints with nulls as float (32-bit
        up to int16, else 64) with NaN; one date or timestamp type: datetime64; anything else
        an object array. order: "fortran" (column-major, Polars' default) or "c"."""
        from .interchange import frame_to_numpy
        return frame_to_numpy(self, order)

    def to_torch(self, return_type: str = "tensor", *, dtype: Any = None) -> Any:
        """torch tensors (needs torch), as Polars: "tensor" one 2-D tensor of to_numpy()'s
        supertype; "dict" {name: 1-D tensor}, each numeric column without nulls sharing weft's
        buffer (DLPack), the others copied (nulls as NaN). dtype: a torch dtype to cast to."""
        from .interchange import frame_to_torch
        return frame_to_torch(self, return_type, dtype)

    def iter_batches(self, batch_size: int, columns: Optional[Names] = None, *,
                     shuffle: bool = False, seed: Optional[int] = None, drop_last: bool = False,
                     format: str = "numpy") -> Iterator[dict]:
        """Batches of batch_size rows (the last may be shorter unless drop_last) as dicts of
        column name -> numpy array (format="torch": tensor); shuffle: in the order of weft's
        own seeded permutation (weft.batches.shuffled_rows; the same on any thread count, not
        numpy's), gathered in C a group of batches at a time (see weft.batches)."""
        from .batches import iter_batches
        return iter_batches(self, batch_size, columns, shuffle, seed, drop_last, format)

    def sample(self, n: Optional[int] = None, *, fraction: Optional[float] = None,
               with_replacement: bool = False, shuffle: bool = False,
               seed: Optional[int] = None) -> "DataFrame":
        """n rows (or int(fraction * height); default 1) drawn at random, as Polars' sample;
        shuffle=False keeps them in the DataFrame's order. Without replacement they are the
        first n positions of weft's seeded permutation (shuffle's and iter_batches' order);
        with replacement numpy's Generator(seed) draws them. Seeds are not Polars'."""
        from .splits import sample
        return sample(self, n, fraction, with_replacement, shuffle, seed)

    def shuffle(self, seed: Optional[int] = None) -> "DataFrame":
        """Every row, in the order of weft's seeded permutation (weft.batches.shuffled_rows):
        the order iter_batches(shuffle=True, seed=seed) gives (seed: the same one each time)."""
        from .splits import shuffle
        return shuffle(self, seed)

    def to_dict(self, as_series: bool = True) -> dict[str, Any]:
        """{name: Series}, or {name: list} with as_series=False."""
        return {s.name: (s if as_series else s.to_list()) for s in self}

    # ------------------------------------------------------------------ comparison, summary

    def equals(self, other: object) -> bool:
        """True when names, types and every value (nulls in the same rows) are equal; NaN
        equals NaN."""
        if not isinstance(other, DataFrame) or self.shape != other.shape:
            return False
        if self.columns != other.columns or self.dtypes != other.dtypes:
            return False
        return all(a._equals(b) for a, b in zip(self, other))

    def describe(self, percentiles: Union[None, float, Sequence[float]] = (0.25, 0.5, 0.75),
                 device: Any = "auto", strict: bool = False) -> "DataFrame":
        """Summary statistics of every column, as Polars' describe() (weft_table_describe: one
        read of each column in C, percentiles by selection; on an OpenCL or CUDA device, block
        statistics there and percentiles by its radix sort, the CPU's values to the bit).
        Rows: count, null_count, mean,
        std, min, the percentiles ("25%", ...), max, named by a first "statistic" column.
        Numbers and bool give float64 columns; utf8, dates and timestamps text, as Polars.
        percentiles: Polars' "nearest" quantiles in [0, 1] (a float, a sequence or None),
        shown ascending. Unlike Polars (an error), a DataFrame without columns gives the
        "statistic" column alone."""
        if percentiles is None:
            percentiles = []
        elif isinstance(percentiles, (int, float, np.integer, np.floating)):
            percentiles = [percentiles]
        try:
            pct = [float(p) for p in percentiles]
        except (TypeError, ValueError):
            raise InvalidArgumentError(
                f"describe: percentiles must be numbers in [0, 1], got {percentiles!r}"
            ) from None
        values = (ctypes.c_double * max(len(pct), 1))(*pct)
        return DataFrame._from_handle(_run("DataFrame.describe", _lib.weft_table_describe, device,
                                           strict, self._handle, len(pct), values))

    # ------------------------------------------------------------------ display

    def _cells(self):
        """(column indices shown, rows of cell text with None for the elided row/column)."""
        h, w = self.shape
        cols = list(range(w))
        if w > _REPR_COLS:
            half = _REPR_COLS // 2
            cols = cols[:half] + [None] + cols[w - half:]
        parts = [self] if h <= _REPR_ROWS else [self.head(_REPR_ROWS // 2), self.tail(_REPR_ROWS // 2)]
        rows = []
        for k, part in enumerate(parts):
            if k:
                rows.append([None] * len(cols))
            data = [to_list(part._view(c), part) if c is not None else None for c in cols]
            types = [part._view(c).type if c is not None else None for c in cols]
            for r in range(part.height):
                rows.append([_cell(data[j][r], types[j]) if c is not None else "…"
                             for j, c in enumerate(cols)])
        return cols, rows

    def __repr__(self) -> str:
        h, w = self.shape
        cols, rows = self._cells()
        heads = [self._name(c) if c is not None else "…" for c in cols]
        types = [TYPE_NAMES[self._view(c).type] if c is not None else "…" for c in cols]
        body = [[x if x is not None else "…" for x in row] for row in rows]
        widths = [max([len(heads[j]), len(types[j]), 3] + [len(r[j]) for r in body])
                  for j in range(len(cols))]

        def line(cells):
            return "│ " + " ┆ ".join(c.ljust(widths[j]) for j, c in enumerate(cells)) + " │"

        out = [f"shape: ({h}, {w})"]
        if not cols:
            return out[0] + "\n┌┐\n╞╡\n└┘"
        out.append("┌─" + "─┬─".join("─" * x for x in widths) + "─┐")
        out += [line(heads), line(["---"] * len(cols)), line(types)]
        out.append("╞═" + "═╪═".join("═" * x for x in widths) + "═╡")
        out += [line(r) for r in body]
        out.append("└─" + "─┴─".join("─" * x for x in widths) + "─┘")
        return "\n".join(out)

    def _repr_html_(self) -> str:
        """The notebook view, as Polars': the shape, then a table of names, types and rows."""
        return self._html(f"({self.height}, {self.width})")

    def _html(self, shape):
        cols, rows = self._cells()
        esc = html.escape
        heads = "".join(f"<th>{esc(self._name(c)) if c is not None else '&hellip;'}</th>" for c in cols)
        types = "".join(f"<td>{esc(TYPE_NAMES[self._view(c).type]) if c is not None else '&hellip;'}</td>"
                        for c in cols)
        body = "".join(
            "<tr>" + "".join(f"<td>{esc(x) if x is not None else '&hellip;'}</td>" for x in row) + "</tr>"
            for row in rows
        )
        return (f"<div>{_HTML_STYLE}<small>shape: {shape}</small><table border=\"1\" class=\"dataframe\">"
                f"<thead><tr>{heads}</tr><tr>{types}</tr></thead><tbody>{body}</tbody></table></div>")

    # ------------------------------------------------------------------ operations (in C)

    def select(self, *exprs: Any, device: Any = "auto", strict: bool = False) -> "DataFrame":
        """Columns computed from expressions (or column names), in order; all aggregations:
        one row."""
        return self._keeping_indexes(DataFrame._from_handle(
            _select.select(self._handle, _flatten(exprs), device=device, strict=strict)))

    def with_columns(self, *exprs: Any, device: Any = "auto", strict: bool = False) -> "DataFrame":
        """The DataFrame plus computed columns (an existing name is replaced in place)."""
        return self._keeping_indexes(DataFrame._from_handle(
            _select.with_columns(self._handle, _flatten(exprs), device=device, strict=strict)))

    def filter(self, predicate: Any, device: Any = "auto", strict: bool = False) -> "DataFrame":
        """The rows where the boolean expression (or a bool Series / numpy bool array) is
        true (null counts as false)."""
        if isinstance(predicate, Series) or (
            isinstance(predicate, np.ndarray) and predicate.dtype == np.bool_
        ):
            return self._masked(predicate, "DataFrame.filter")
        return DataFrame._from_handle(
            _select.filter(self._handle, predicate, device=device, strict=strict))

    def group_by(self, *keys: Any, maintain_order: bool = True) -> "GroupBy":
        """Groups by key columns or expressions: .agg(weft.col("v").sum(), ...) gives one row
        per group, in order of first appearance (weft always keeps it)."""
        if not maintain_order:
            raise InvalidArgumentError("group_by: weft always keeps the order of first appearance "
                                       "(maintain_order=True)")
        return GroupBy(self, _group._key_list(_flatten(keys), "group_by keys"))

    def sort(self, by: Any, *more_by: Any, descending: Union[bool, Sequence[bool]] = False,
             nulls_last: Union[bool, Sequence[bool]] = False, maintain_order: bool = False,
             device: Any = "auto", strict: bool = False) -> "DataFrame":
        """Sort by one or more columns or expressions; descending and nulls_last: one bool or
        one per key; each key's nulls first unless nulls_last (Polars' default). weft's sort
        is always stable, so maintain_order=True changes nothing."""
        if not isinstance(maintain_order, bool):
            raise InvalidArgumentError(f"DataFrame.sort: maintain_order must be a bool, got {maintain_order!r}")
        return DataFrame._from_handle(
            _group.sort(self._handle, by, *more_by, descending=descending, nulls_last=nulls_last,
                        device=device, strict=strict))

    def top_k(self, k: int, *, by: Names, reverse: Union[bool, Sequence[bool]] = False,
              device: Any = "auto", strict: bool = False) -> "DataFrame":
        """The k rows with the largest values of `by`, largest first (reverse: smallest, per
        key); nulls last. Selects the candidates in one pass instead of sorting every row."""
        return DataFrame._from_handle(
            _group.top_k(self._handle, k, by, reverse, False, device=device, strict=strict))

    def bottom_k(self, k: int, *, by: Names, reverse: Union[bool, Sequence[bool]] = False,
                 device: Any = "auto", strict: bool = False) -> "DataFrame":
        """The k rows with the smallest values of `by`, smallest first (reverse: largest, per
        key); nulls last."""
        return DataFrame._from_handle(
            _group.top_k(self._handle, k, by, reverse, True, device=device, strict=strict))

    def with_row_index(self, name: str = "index", offset: int = 0) -> "DataFrame":
        """The frame with a first uint32 column `name` numbering the rows from `offset`."""
        name, offset = _row_index_args(name, offset, "DataFrame.with_row_index")
        return self._keeping_indexes(DataFrame._from_handle(_call(
            "DataFrame.with_row_index", _lib.weft_table_with_row_index, self._handle, name, offset)))

    def nearest(self, column: str, query: Any, k: int = 10, metric: str = "l2",
                device: Any = "auto", strict: bool = False, *, filter: Any = None,
                nprobe: Optional[int] = None, use_index: bool = True) -> "DataFrame":
        """The k rows nearest `query` by vector column `column`, with "_distance" (and
        "_query" for a 2-D batch of queries): LazyFrame.nearest run at once. filter: a
        predicate whose rows are the candidates (a pre-filter, so k rows come back whenever
        k rows pass). With an index on the column (create_index) of this metric, the index
        is searched (nprobe: IVF lists a query scans, default min(20, nlist)); use_index=False
        runs the exact search. strict: as collect's (a device that cannot run it is an
        error, not a fallback)."""
        _vectors.nearest_args("DataFrame.nearest", self.schema, column, query, k, metric)
        lf = self.lazy() if filter is None else self.lazy().filter(filter)
        return lf.nearest(column, query, k=k, metric=metric, nprobe=nprobe,
                          use_index=use_index).collect(device=device, strict=strict)

    def create_index(self, column: str, kind: str = "ivf_flat", *, metric: str = "l2",
                     nlist: Optional[int] = None, m: Optional[int] = None, nbits: int = 8,
                     niter: int = 10, seed: int = 0, sample_rate: int = 256,
                     refine: Optional[int] = None, replace: bool = True,
                     pq_niter: int = 25) -> None:
        """Builds a vector index over `column` (array[f32, dim]) whose ids are this frame's
        row numbers (null vectors left out), kept with the frame by column name (as Lance's
        Table.create_index). kind: "flat" (exact, weft.FlatIndex), "ivf_flat", "ivf_sq8"
        (weft.IVFIndex with codec "flat" / "sq8") or "ivf_pq" (codec "pq", m sub-vectors of
        nbits bits, refine: re-rank k * refine candidates exactly; where IVFIndex has it). metric: "l2", "cosine" or "dot", the metric of
        the nearest calls that use it. nlist: IVF lists (default about sqrt(rows)), trained
        by k-means (niter, seed) on up to nlist * sample_rate rows; ivf_pq's sub-quantizers
        by pq_niter iterations (IVFIndex.train's, faiss's counts). nearest (eager and
        lazy) on this frame, and on frames made from it that keep the column's rows as
        they are (select, with_columns, drop, rename, with_row_index, their lazy plans),
        searches it; a filter, sort, join or slice makes new rows, which lose it (indexes).
        replace=False refuses a column that has an index already."""
        where = "DataFrame.create_index"
        _vectors.nearest_args(where, self.schema, column, [0.0] * _vector_dim(self, column, where),
                              1, "l2")
        if not isinstance(replace, bool):
            raise InvalidArgumentError(f"{where}: replace must be a bool, got {replace!r}")
        if not replace and column in self._indexes:
            raise InvalidArgumentError(f"{where}: column {column!r} has an index already "
                                       f"({self._indexes[column][0].describe()}); pass replace=True")
        tix = _table_index.build(self.get_column(column), column, kind, metric, nlist, m, nbits,
                                 niter, seed, sample_rate, where, refine, pq_niter)
        self._indexes[column] = (tix, self, _table_index.Binding(self._handle, tix, None))

    def drop_index(self, column: str) -> None:
        """Removes the index on `column` (its name as `indexes` lists it, "<column>_idx", is
        taken too)."""
        name = column[:-4] if isinstance(column, str) and column.endswith("_idx") and \
            column not in self._indexes else column
        if name not in self._indexes:
            raise InvalidArgumentError(f"DataFrame.drop_index: no index on {column!r} (indexes: "
                                       f"{[i['name'] for i in self.indexes]})")
        del self._indexes[name]

    @property
    def indexes(self) -> list[dict]:
        """The vector indexes this frame holds, one dict each (name, column, kind, metric,
        parameters, rows), as Lance's list_indices."""
        return [entry[0].info() for entry in self._indexes.values()]

    list_indices = indexes.fget

    def n_unique(self, subset: Optional[Names] = None) -> int:
        """The number of distinct rows (of the `subset` columns; all when None), nulls equal
        to each other, as Polars."""
        return self.unique(subset=subset).height

    def unique(self, subset: Optional[Names] = None, device: Any = "auto",
               strict: bool = False) -> "DataFrame":
        """The first row of each distinct tuple of `subset` (all columns when None)."""
        return DataFrame._from_handle(
            _group.unique(self._handle, subset=subset, device=device, strict=strict))

    @python_call("DataFrame.join")
    def join(self, other: "DataFrame", on: Optional[Names] = None,
             left_on: Optional[Names] = None, right_on: Optional[Names] = None,
             how: str = "inner", suffix: str = "_right", coalesce: Optional[bool] = None,
             device: Any = "auto", strict: bool = False) -> "DataFrame":
        """Hash join, built on the smaller side: how = "inner", "left", "right", "full",
        "semi", "anti" or "cross" (no keys); null keys never match; coalesce as Polars' (None:
        merge the keys except in a full join). Rows: inner / left / semi / anti in left order,
        each left row's matches in right order; right in right order, each right row's
        matches in left order; full as left, then the unmatched right rows in right order."""
        if not isinstance(other, DataFrame):
            raise InvalidArgumentError(f"join: other must be a weft DataFrame, got {type(other).__name__}")
        return DataFrame._from_handle(
            _join.join(self._handle, other._handle, on=on, left_on=left_on, right_on=right_on,
                       how=how, suffix=suffix, coalesce=coalesce, device=device, strict=strict))

    def write_csv(self, path: Union[str, os.PathLike]) -> None:
        """Writes a CSV file (header, nulls as empty fields)."""
        _csv.write_csv(self._handle, path)

    def write_parquet(self, path: Union[str, os.PathLike], **kwargs: Any) -> None:
        """Writes a Parquet file through pyarrow (kwargs go to pyarrow.parquet.write_table),
        to a temporary file that is synced, then renamed over `path`, so a failed write or a
        crash leaves the old file or the new one, never half a file."""
        pq = _pyarrow_parquet("write_parquet")
        with atomic_path(path) as tmp:
            pq.write_table(self.to_arrow(), tmp, **kwargs)

    def write_dataset(self, path: Union[str, os.PathLike], mode: str = "create") -> Any:
        """Writes the rows as a dataset folder (weft.write_dataset: mode "create", "append"
        or "overwrite"), with this frame's indexes saved when it creates or overwrites it;
        returns the weft.Dataset of the version written."""
        from .dataset import write_dataset
        ds = write_dataset(self, path, mode)
        if mode != "append" or ds.version == 1:
            for name, (tix, _, _) in self._indexes.items():
                ds = ds._with_index(tix)
        return ds

    def lazy(self) -> LazyFrame:
        """A LazyFrame scanning this DataFrame (its buffers shared, not copied)."""
        return LazyFrame(self)


class GroupBy:
    """The rows of a DataFrame grouped by key columns; .agg() computes one row per group."""

    def __init__(self, df: DataFrame, keys: list) -> None:
        self._df = df
        self._keys = keys

    def agg(self, *aggs: Any, device: Any = "auto", strict: bool = False) -> DataFrame:
        """One row per group (first-appearance order): the keys, then each aggregation."""
        return DataFrame._from_handle(
            _group.group_by(self._df._handle, self._keys, aggs, device=device, strict=strict))

    def __repr__(self) -> str:
        return f"GroupBy(keys={self._keys!r})"


@python_call("weft.read_csv")
def read_csv(path: Union[str, os.PathLike], *, separator: str = ",", has_header: bool = True,
             null_values: Union[None, str, Sequence[str]] = None,
             schema_overrides: Optional[Mapping[str, Any]] = None,
             infer_schema_length: Optional[int] = 10000, device: Any = "auto",
             strict: bool = False) -> DataFrame:
    """Reads a CSV file into a DataFrame, parsing chunks of rows in parallel on the CPU, or
    on the device chosen (device="auto", "cpu", "opencl", "cuda" or an id such as
    "opencl:0"): the host splits the file and infers the types, the device parses each
    record; the table is the CPU's either way. strict=True fails instead of falling back to
    the CPU. Types inferred and schema_overrides: see weft._csv."""
    return DataFrame._from_handle(_csv.read_csv(
        path, separator=separator, has_header=has_header, null_values=null_values,
        schema_overrides=schema_overrides, infer_schema_length=infer_schema_length,
        device=device, strict=strict))


def _cell(x, wtype):
    """Display text of one value."""
    if x is None:
        return "null"
    if wtype == _lib.WEFT_TYPE_UTF8:
        text = '"' + x + '"'
    elif wtype == _lib.WEFT_TYPE_BOOL:
        text = "true" if x else "false"
    elif wtype in (_lib.WEFT_TYPE_FLOAT32, _lib.WEFT_TYPE_FLOAT64):
        text = f"{x:.7g}" if wtype == _lib.WEFT_TYPE_FLOAT32 else f"{x:.10g}"
        if text.lstrip("-").isdigit():
            text += ".0"
    elif isinstance(x, list):  # a vector
        text = "[" + ", ".join(f"{v:.4g}" for v in x) + "]"
    elif wtype == _lib.WEFT_TYPE_TIMESTAMP_US and hasattr(x, "isoformat"):
        text = x.isoformat(sep=" ")
    else:
        text = str(x)
    text = text.replace("\n", "\\n")
    return text if len(text) <= _REPR_CELL else text[:_REPR_CELL - 1] + "…"


# ---------------------------------------------------------------------------- Series


class Series(SeriesOps):
    """One column of a DataFrame (which it keeps alive). Its operators (``s > 0.5``,
    ``s + t``, ``~mask``) give a new Series, as in Polars (see _series_ops.py)."""

    def __init__(self, name: Any = "", values: Any = None, dtype: Optional[str] = None,
                 *, _index: Optional[int] = None) -> None:
        """``weft.Series("x", [1, 2, None])`` as Polars' (name, values, dtype); values
        alone (``weft.Series([1, 2])``) give the name "". Inside weft a Series is also one
        column of a DataFrame it keeps alive (``Series(df, i)``)."""
        if isinstance(name, DataFrame):  # one column of a frame: Series(df, i)
            self._df, self._index = name, values if _index is None else _index
            return
        if not isinstance(name, str):  # Series(values) or Series(values, dtype)
            name, values, dtype = "", name, values if dtype is None else dtype
        if values is None:
            values = []
        frame = DataFrame({name: values})
        if dtype is not None:
            from .expr import col
            frame = frame.select(col(name).cast(dtype))
        self._df, self._index = frame, 0

    def _view(self):
        return self._df._view(self._index)

    def _valid_mask(self):
        """Bool array of non-null rows, or None when there is no null."""
        return _valid(self._view(), self._df)

    @property
    def name(self) -> str:
        return self._df._name(self._index)

    @property
    def dtype(self) -> str:
        """The weft type name ("int64", "utf8", ...)."""
        return TYPE_NAMES[self._view().type]

    def __len__(self) -> int:
        return self._view().length

    def null_count(self) -> int:
        """The number of nulls (a method, as Polars' Series.null_count())."""
        return self._view().null_count

    def to_numpy(self) -> np.ndarray:
        """Numeric and timestamp columns without nulls: a read-only view of weft's memory (no
        copy). With nulls: float (NaN) for numbers, NaT for dates and timestamps. bool with
        nulls and utf8: object arrays (None for nulls). Dates: datetime64[D] (a copy).
        Vectors: a (rows, dim) float32 array (no copy without nulls; a null: a row of NaN)."""
        return to_numpy(self._view(), self._df)

    def to_list(self) -> list:
        return to_list(self._view(), self._df)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.to_list())

    def __getitem__(self, i: int) -> Any:
        n = len(self)
        i = _int_arg(i, "Series index")
        if not -n <= i < n:
            raise IndexError(f"Series index {i} out of range for {n} rows")
        return self._df.slice(i % n, 1)[self.name].to_list()[0]

    def to_frame(self, name: Optional[str] = None) -> DataFrame:
        """A one-column DataFrame sharing the buffers."""
        return DataFrame._from_handle(pick_columns([(self._df._handle, self._index)],
                                                   [name if name is not None else self.name]))

    def __dlpack__(self, *, stream: Any = None, max_version: Optional[tuple] = None,
                   dl_device: Optional[tuple] = None, copy: Optional[bool] = None) -> Any:
        """DLPack (np.from_dlpack(s), torch.from_dlpack(s)): weft's buffer, not a copy, for
        numeric columns without nulls; nulls or other types raise (see weft.interchange)."""
        from .interchange import series_dlpack
        return series_dlpack(self, stream, max_version, dl_device, copy)

    def __dlpack_device__(self) -> tuple[int, int]:
        """(kDLCPU, 0): weft's columns are in host memory."""
        return (1, 0)

    def to_arrow(self) -> Any:
        """A pyarrow Array sharing the buffers (needs pyarrow)."""
        return self.to_frame().to_arrow().column(0).combine_chunks()

    def _equals(self, other):
        a, b = self._view(), other._view()
        if a.type != b.type or a.length != b.length:
            return False
        if a.type in (_lib.WEFT_TYPE_UTF8, _lib.WEFT_TYPE_BOOL):
            return self.to_list() == other.to_list()
        va, vb = self._valid_mask(), other._valid_mask()
        if (va is None) != (vb is None) or (va is not None and not np.array_equal(va, vb)):
            return False
        xa, xb = _values(a, self._df), _values(b, other._df)
        if va is not None:
            xa, xb = xa[va], xb[va]
        if xa.dtype.kind == "f":
            return bool(np.array_equal(xa, xb, equal_nan=True))
        return bool(np.array_equal(xa, xb))

    def _repr_html_(self) -> str:
        """The notebook view, as Polars': shape (n,), the name, the type and the values."""
        return self.to_frame()._html(f"({len(self)},)")

    def __repr__(self) -> str:
        n = len(self)
        t = self._view().type
        values = self.to_list() if n <= _REPR_ROWS else None
        if values is None:
            half = _REPR_ROWS // 2
            head = self._df.slice(0, half)[self.name].to_list()
            tail = self._df.slice(n - half, half)[self.name].to_list()
            lines = [_cell(x, t) for x in head] + ["…"] + [_cell(x, t) for x in tail]
        else:
            lines = [_cell(x, t) for x in values]
        body = "".join(f"\t{x}\n" for x in lines)
        return f"shape: ({n},)\nSeries: {self.name!r} [{self.dtype}]\n[\n{body}]"


_lazy._bind(DataFrame)
