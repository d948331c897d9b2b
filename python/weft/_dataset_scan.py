"""The scan of a dataset (Dataset.scan): a C scan node whose rows a callback reads at
collect time, only the columns used, skipping fragments whose statistics rule out the
filter above the scan (_fragment_stats), as weft.scan_parquet does for row groups."""

from __future__ import annotations

import threading

from . import _fragment_stats, _lib

_sources: dict = {}  # ctx id -> Dataset, while a plan holds the scan
_next_ctx = [1]
_sources_lock = threading.Lock()


def register(ds) -> int:  # noqa: ANN001
    """The ctx id the scan's callbacks find `ds` by."""
    with _sources_lock:
        ctx = _next_ctx[0]
        _next_ctx[0] += 1
        _sources[ctx] = ds
    return ctx


def _read_impl(ctx, ncols, columns, predicate, out, note, cap):  # noqa: ANN001
    from ._scan_parquet import _write_note
    ds = _sources[ctx]
    names = [columns[i].decode("utf-8") for i in range(ncols)]
    frags = ds._body["fragments"]
    keep = [i for i, f in enumerate(frags)
            if _fragment_stats.may_match(predicate, f.get("stats", {}), f["rows"])]
    table = ds._table(names, None if len(keep) == len(frags) else keep)
    from .frame import _arrow_handle
    out[0] = _arrow_handle(table, "weft dataset").value
    _write_note(note, cap, f"dataset: read {len(keep)} of {len(frags)} fragments, "
                f"{table.num_rows} rows, {len(names)} columns (memory-mapped)")


def _read(ctx, ncols, columns, predicate, out, note, cap):  # noqa: ANN001 (ctypes callback)
    from ._scan_parquet import _errors
    try:
        _read_impl(ctx, ncols, columns, predicate, out, note, cap)
        return 0
    except BaseException as e:  # raised again by LazyFrame.collect, on this thread
        _errors.value = e
        return _lib.WEFT_ERR_INVALID_ARGUMENT


def _release(ctx):  # noqa: ANN001 (ctypes callback)
    with _sources_lock:
        _sources.pop(ctx, None)


READ = _lib.weft_scan_read_fn(_read)
RELEASE = _lib.weft_scan_release_fn(_release)
