"""Writing a dataset's files: fragments (one Arrow IPC record batch each) and index files,
each under a new name after a synced temporary file (see _manifest)."""

from __future__ import annotations

import os
import uuid
from typing import Any

from . import _fragment_stats, _manifest


def write_fragment(root: str, table: Any) -> dict:
    """One IPC file of `table` as one record batch under root/data: its manifest entry."""
    import pyarrow as pa
    folder = os.path.join(root, _manifest.DATA)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{uuid.uuid4().hex}.arrow")
    tmp = _manifest.temp_path(folder, "fragment")
    try:
        # one batch, so that reading it back hands weft one array a column without a copy
        # (a column past Arrow's 2 GiB offsets stays in several, concatenated when read)
        with pa.OSFile(tmp, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            for batch in table.combine_chunks().to_batches():
                writer.write_batch(batch)
        _manifest.publish(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return _manifest.file_entry(root, path, rows=table.num_rows,
                                stats=_fragment_stats.compute(table))


def arrow_of(data: Any, where: str) -> Any:
    """(pyarrow Table) of a weft DataFrame or what weft.DataFrame takes."""
    from .frame import DataFrame

    df = data if isinstance(data, DataFrame) else DataFrame(data)
    return df.to_arrow()


def save_index(root: str, tix: Any) -> dict:
    """The index file of `tix` under root/_indices: its manifest entry."""
    folder = os.path.join(root, _manifest.INDICES)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{uuid.uuid4().hex}.idx")
    tix.index.save(path)  # atomic: a synced temporary file renamed
    _manifest.sync_directory(folder)
    return _manifest.file_entry(root, path, column=tix.column, kind=tix.kind, metric=tix.metric,
                                params=tix.params, rows=tix.rows)
