"""The scan of a dataset (Dataset.scan): a C scan node whose rows a callback reads at
collect time, only the columns used, skipping fragments whose statistics rule out the
filter above the scan (_fragment_stats), as weft.scan_parquet does for row groups."""

from __future__ import annotations

from . import _fragment_stats, _lib
from ._plan_callbacks import Registry, guarded, write_note

_sources = Registry()  # ctx id -> Dataset, while a plan holds the scan


def register(ds) -> int:  # noqa: ANN001
    """The ctx id the scan's callbacks find `ds` by."""
    return _sources.add(ds)


def _read_impl(ctx, ncols, columns, predicate, out, note, cap):  # noqa: ANN001
    ds = _sources[ctx]
    names = [columns[i].decode("utf-8") for i in range(ncols)]
    frags = ds._body["fragments"]
    keep = [i for i, f in enumerate(frags)
            if _fragment_stats.may_match(predicate, f.get("stats", {}), f["rows"])]
    table = ds._table(names, None if len(keep) == len(frags) else keep)
    from .frame import _arrow_handle
    out[0] = _arrow_handle(table, "weft dataset").value
    write_note(note, cap, f"dataset: read {len(keep)} of {len(frags)} fragments, "
                f"{table.num_rows} rows, {len(names)} columns (memory-mapped)")


READ = _lib.weft_scan_read_fn(guarded(_read_impl))
RELEASE = _lib.weft_scan_release_fn(_sources.release)
