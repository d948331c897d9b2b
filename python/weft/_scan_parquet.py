"""weft.scan_parquet: a LazyFrame over Parquet files, read by pyarrow at collect time.

The plan is a C scan node whose rows come from a callback (weft_plan_scan_source). At
collect, the optimizer has already pushed filters down and trimmed the columns; the scan
calls back here with the column names it needs and the predicate of the filter directly
above it. That predicate is translated to a pyarrow expression (comparisons of a column
with a literal, &, |, ~, is_null / is_not_null; anything else is dropped from the AND, or
the whole translation when under | or ~) and used only to skip row groups whose statistics
rule it out (``ParquetFileFragment.split_by_row_group``). weft's own filter still runs on
the rows read, so a row group kept that did not need to be costs time, never a wrong row.
Float comparisons that NaN satisfies are not translated (see _compare).
"""

from __future__ import annotations

import ctypes
import datetime
import decimal
import glob
import os
from typing import Any, Optional, Sequence, Union

from . import _lib
from ._plan_callbacks import Registry, guarded, write_note
from .errors import InvalidArgumentError, NotFoundError, UnsupportedError, _check

__all__ = ["scan_parquet"]

_sources = Registry()  # ctx id -> _Source, while a plan holds the scan


class _Source:
    def __init__(self, dataset: Any, files: list) -> None:
        self.dataset = dataset
        self.files = files
        self.types = {f.name: f.type for f in dataset.schema}
        self.last = None  # (row groups read, row groups in all, rows read) of the last read


def _paths(source: Any) -> list:
    if isinstance(source, (str, os.PathLike)):
        items = [source]
    elif isinstance(source, (list, tuple)) and source:
        items = list(source)
    else:
        raise InvalidArgumentError(
            f"weft.scan_parquet: source must be a path, a glob or a non-empty list of paths, got {source!r}")
    files = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            raise InvalidArgumentError(f"weft.scan_parquet: a path must be a str, got {item!r}")
        path = os.fspath(item)
        if glob.has_magic(path):
            found = sorted(glob.glob(path, recursive=True))
            if not found:
                raise NotFoundError(f"weft.scan_parquet: no file matches {path!r}")
            files.extend(found)
        elif os.path.isdir(path):
            found = sorted(glob.glob(os.path.join(path, "**", "*.parquet"), recursive=True))
            if not found:
                raise NotFoundError(f"weft.scan_parquet: no .parquet file in the folder {path!r}")
            files.extend(found)
        elif os.path.exists(path):
            files.append(path)
        else:
            raise NotFoundError(f"weft.scan_parquet: no such file {path!r}")
    return files


# ---------------------------------------------------------------- predicate translation

_CMP = {_lib.WEFT_OP_EQ: "==", _lib.WEFT_OP_NE: "!=", _lib.WEFT_OP_LT: "<",
        _lib.WEFT_OP_LE: "<=", _lib.WEFT_OP_GT: ">", _lib.WEFT_OP_GE: ">="}
_FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_EPOCH_DAY = datetime.date(1970, 1, 1)


def _info(handle: int) -> Any:
    info = _lib.weft_expr_info()
    _check(_lib.weft_expr_inspect(handle, ctypes.byref(info)), "weft.scan_parquet")
    return info


def _literal(info: Any, pa: Any) -> Any:
    """A pyarrow scalar of a literal node (a literal cast to date / datetime too), or None."""
    if info.kind == _lib.WEFT_EXPR_CAST and info.a:
        inner = _info(info.a)
        if inner.kind != _lib.WEFT_EXPR_LITERAL or inner.is_null or inner.type != _lib.WEFT_TYPE_INT64:
            return None
        if info.type == _lib.WEFT_TYPE_DATE32:
            return pa.scalar(inner.int_value, pa.date32())
        if info.type == _lib.WEFT_TYPE_TIMESTAMP_US:
            return pa.scalar(inner.int_value, pa.timestamp("us"))
        return None
    if info.kind != _lib.WEFT_EXPR_LITERAL or info.is_null:
        return None
    if info.type == _lib.WEFT_TYPE_INT64:
        return pa.scalar(info.int_value, pa.int64())
    if info.type == _lib.WEFT_TYPE_BOOL:
        return pa.scalar(bool(info.int_value), pa.bool_())
    if info.type == _lib.WEFT_TYPE_FLOAT64:
        v = info.float_value
        return None if v != v else pa.scalar(v, pa.float64())  # NaN: not translated
    if info.type == _lib.WEFT_TYPE_UTF8 and info.text is not None:
        return pa.scalar(info.text.decode("utf-8"), pa.string())
    return None


def _column(info: Any, src: _Source) -> Optional[str]:
    while info.kind == _lib.WEFT_EXPR_ALIAS and info.a:
        info = _info(info.a)
    if info.kind != _lib.WEFT_EXPR_COLUMN or info.text is None:
        return None
    name = info.text.decode("utf-8")
    return name if name in src.types else None


def _compare(op: str, name: str, value: Any, src: _Source, pa: Any, ds: Any) -> Optional[tuple]:
    """(pyarrow comparison, exact), or None. A float column's statistics leave NaN out and
    pyarrow takes them as covering every value, so a comparison that NaN satisfies (NaN is
    above every number in Polars and weft: >, >=, !=) would skip row groups holding NaN
    rows: it is not translated, and the others count as inexact (so no ~ over them)."""
    floating = pa.types.is_floating(src.types[name])
    if floating and op in (">", ">=", "!="):
        return None
    value = _as_column_type(value, src.types[name], pa)
    if value is None:
        return None
    field = ds.field(name)
    cmp = {"==": field == value, "!=": field != value, "<": field < value, "<=": field <= value,
           ">": field > value, ">=": field >= value}[op]
    return cmp, not floating


def _as_column_type(value: Any, col_type: Any, pa: Any) -> Any:
    """The literal in the column's own type when it converts without loss (pyarrow's
    statistics filter has no kernel for string_view == string, and compares a decimal with a
    float by a cast that can fail), else as it is; None when it must not be used to prune: a
    float bound of a decimal column (0.05 has no exact decimal twin, so a superset is not
    guaranteed)."""
    if value.type == col_type:
        return value
    if pa.types.is_decimal(col_type) and pa.types.is_floating(value.type):
        return None
    if pa.types.is_decimal(col_type) and pa.types.is_integer(value.type):
        # an int widened to the column's scale; decimal(38, s) holds any int64 at s <= 18
        if col_type.scale <= 18:
            return pa.scalar(decimal.Decimal(value.as_py()), pa.decimal128(38, col_type.scale))
        return value
    try:
        cast = value.cast(col_type)
        return cast if cast.cast(value.type) == value else value
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return value


def _translate(handle: int, src: _Source, pa: Any, pc: Any, ds: Any) -> Optional[tuple]:
    """(pyarrow expression, exact) for a weft predicate, or None. exact: true exactly where
    the weft predicate is; else true at least there (a superset, from a dropped conjunct)."""
    info = _info(handle)
    if info.kind == _lib.WEFT_EXPR_ALIAS and info.a:
        return _translate(info.a, src, pa, pc, ds)
    if info.kind == _lib.WEFT_EXPR_BINARY and info.op in (_lib.WEFT_OP_AND, _lib.WEFT_OP_OR):
        left = _translate(info.a, src, pa, pc, ds)
        right = _translate(info.b, src, pa, pc, ds)
        if info.op == _lib.WEFT_OP_AND:
            if left and right:
                return left[0] & right[0], left[1] and right[1]
            one = left or right
            return (one[0], False) if one else None
        return (left[0] | right[0], left[1] and right[1]) if left and right else None
    if info.kind == _lib.WEFT_EXPR_BINARY and info.op in _CMP:
        op = _CMP[info.op]
        a, b = _info(info.a), _info(info.b)
        name, value = _column(a, src), _literal(b, pa)
        if name is None or value is None:
            name, value, op = _column(b, src), _literal(a, pa), _FLIP[op]
        if name is None or value is None:
            return None
        return _compare(op, name, value, src, pa, ds)
    if info.kind == _lib.WEFT_EXPR_UNARY and info.op == _lib.WEFT_OP_NOT:
        inner = _translate(info.a, src, pa, pc, ds)
        return (~inner[0], True) if inner and inner[1] else None  # ~superset is no superset
    if info.kind == _lib.WEFT_EXPR_UNARY and info.op in (_lib.WEFT_OP_IS_NULL, _lib.WEFT_OP_IS_NOT_NULL):
        name = _column(_info(info.a), src)
        if name is None:
            return None
        field = ds.field(name)
        return (field.is_null() if info.op == _lib.WEFT_OP_IS_NULL else field.is_valid()), True
    return None


def to_arrow_filter(predicate: int, src: _Source) -> Any:
    """The pyarrow expression scan_parquet prunes row groups with, or None (for tests)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds
    got = _translate(predicate, src, pa, pc, ds)
    return got[0] if got else None


# ---------------------------------------------------------------- the callbacks


def _read_impl(ctx: int, ncols: int, columns: Any, predicate: Optional[int], out: Any,
               note: int, cap: int) -> None:
    import pyarrow as pa
    import pyarrow.dataset as ds

    from .frame import _arrow_handle

    src = _sources[ctx]
    names = [columns[i].decode("utf-8") for i in range(ncols)]
    flt = to_arrow_filter(predicate, src) if predicate else None
    frags = list(src.dataset.get_fragments())
    total = sum(f.metadata.num_row_groups for f in frags)
    kept, skipped = frags, ""
    if flt is not None:
        try:
            kept = [g for f in frags for g in f.split_by_row_group(filter=flt, schema=src.dataset.schema)]
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as e:
            # pruning only saves reading: a filter pyarrow cannot apply to the statistics
            # costs the read, never the answer (weft's own filter decides every row)
            kept, skipped = frags, f" (pruning skipped: pyarrow: {str(e).splitlines()[0]})"
    read = sum(f.metadata.num_row_groups if f.row_groups is None else len(f.row_groups) for f in kept)
    if kept:
        sub = ds.FileSystemDataset(kept, src.dataset.schema, src.dataset.format,
                                   filesystem=src.dataset.filesystem)
        table = sub.to_table(columns=names)
    else:
        table = src.dataset.schema.empty_table().select(names)
    src.last = (read, total, table.num_rows)
    out[0] = _arrow_handle(table, "weft.scan_parquet").value
    write_note(note, cap, f"parquet: read {read} of {total} row groups, {table.num_rows} rows, "
                f"{len(names)} columns; row groups pruned by "
                f"{'(none)' if flt is None else str(flt)}{skipped}")


_READ = _lib.weft_scan_read_fn(guarded(_read_impl))
_RELEASE = _lib.weft_scan_release_fn(_sources.release)


def scan_parquet(source: Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]]) -> Any:
    """A LazyFrame over Parquet files: a path, a glob ("data/*.parquet"), a folder (its
    .parquet files) or a list of those, their rows one file after another. Nothing is read
    but the footers until collect(); then only the columns the query uses, and only the row
    groups whose statistics do not rule out the filter directly above the scan (after
    weft's filter pushdown). explain() shows the scan's columns and predicate; the report of
    collect() (weft.last_report()) says how many row groups were read."""
    try:
        import pyarrow.dataset as ds
    except ImportError as e:
        raise UnsupportedError("weft.scan_parquet: Parquet goes through pyarrow, which is not "
                               "installed (pip install pyarrow)") from e
    from .frame import DataFrame
    from .lazy import LazyFrame

    files = _paths(source)
    dataset = ds.dataset(files, format="parquet")
    schema = DataFrame(dataset.schema.empty_table())  # checks the column types weft takes
    rows = sum(f.metadata.num_rows for f in dataset.get_fragments())
    src = _Source(dataset, files)
    ctx = _sources.add(src)
    name = files[0] if len(files) == 1 else f"{len(files)} files ({files[0]}, ...)"
    out = _lib.weft_plan_p()
    _check(_lib.weft_plan_scan_source(schema._handle, rows, f"parquet {name}".encode("utf-8"),
                                      _READ, _RELEASE, ctx, ctypes.byref(out)), "weft.scan_parquet")
    return LazyFrame._own(out)
