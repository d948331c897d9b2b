"""Datasets on disk: versioned tables of Arrow IPC fragments with their vector indexes.

    >>> ds = df.write_dataset("items", mode="create")       # or weft.write_dataset(df, ...)
    >>> ds = weft.open_dataset("items")                      # reads the newest manifest only
    >>> ds.append(more_rows); ds.version, ds.count_rows()
    >>> ds.create_index("emb", "ivf_flat", nlist=256)       # saved with the dataset
    >>> ds.scan().filter(weft.col("price") < 10).nearest("emb", q, k=10).collect()

Fragments are Arrow IPC files, each one record batch, opened memory-mapped by pyarrow
(pa.memory_map + pa.ipc.open_file) and handed to weft through the Arrow C Data Interface
without a copy: reading a column touches only its pages. A dataset of several fragments
concatenates a column once, the first time it is read (a copy), and keeps it. Versions,
manifests and atomic commits: see _manifest. An index created on a dataset covers its rows
(row numbers across fragments in order); append adds the new rows' vectors to it (IVF:
into the trained lists) and saves it with the new version; overwrite drops it.
"""

from __future__ import annotations

import ctypes
import os
import threading
from typing import Any, Optional, Sequence, Union

from . import _dataset_scan, _lib, _manifest, _table_index
from ._dataset_write import arrow_of, save_index, write_fragment
from .errors import InvalidArgumentError, NotFoundError, UnsupportedError, _check

__all__ = ["Dataset", "open_dataset", "write_dataset"]

_MODES = ("create", "append", "overwrite")


def _pyarrow(where: str) -> Any:
    try:
        import pyarrow as pa
    except ImportError as e:
        raise UnsupportedError(f"{where}: datasets are Arrow IPC files read by pyarrow, which is "
                               "not installed (pip install pyarrow)") from e
    return pa


def _root(path: Any, where: str) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidArgumentError(f"{where}: the path must be a str or os.PathLike, got {path!r}")
    return os.path.abspath(os.fspath(path))


class Dataset:
    """One version of a dataset on disk (weft.open_dataset / DataFrame.write_dataset)."""

    def __init__(self, root: str, body: dict) -> None:
        self._root = root
        self._body = body
        self._schema = _manifest.schema_from_text(body["schema"], root)
        self._lock = threading.Lock()
        self._mapped: Optional[list] = None   # the fragments' pyarrow tables, once mapped
        self._columns: dict = {}              # column -> one pyarrow Array over every fragment
        self._tix: Optional[dict] = None      # column -> TableIndex, once loaded
        self._source: Optional[Any] = None    # (DataFrame of the vector columns, entries)

    # ------------------------------------------------------------------ what it is

    @property
    def uri(self) -> str:
        """The dataset's folder."""
        return self._root

    @property
    def version(self) -> int:
        """The version this object reads (1 for a new dataset, one more per commit)."""
        return self._body["version"]

    def versions(self) -> list[int]:
        """The versions committed in the folder, ascending (each can be opened)."""
        return _manifest.versions(self._root)

    @property
    def schema(self) -> dict[str, str]:
        """{column: weft type name}."""
        from .frame import DataFrame
        return DataFrame(self._schema.empty_table()).schema

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self._schema]

    def count_rows(self, filter: Any = None) -> int:
        """Rows of this version (from the manifest); with a filter, the rows passing it."""
        if filter is None:
            return self._body["rows"]
        return self.scan().filter(filter).collect().height

    @property
    def indexes(self) -> list[dict]:
        """The vector indexes saved with this version, one dict each (as DataFrame.indexes)."""
        return [{"name": f"{e['column']}_idx", "column": e["column"], "kind": e["kind"],
                 "metric": e["metric"], **e["params"], "rows": e["rows"]}
                for e in self._body["indexes"]]

    list_indices = indexes.fget

    def __len__(self) -> int:
        return self.count_rows()

    def __repr__(self) -> str:
        return (f"<weft.Dataset {self._root!r} version {self.version}: {self.count_rows()} rows, "
                f"{len(self._body['fragments'])} fragments, columns {self.columns}>")

    def validate(self) -> None:
        """Checks the CRC-32 of every file this version names (reads them all): CorruptError
        naming the first that does not match."""
        from .errors import CorruptError
        for entry in self._body["fragments"] + self._body["indexes"]:
            path = os.path.join(self._root, entry["file"])
            if _manifest.crc32_file(path) != entry["crc32"]:
                raise CorruptError(f"Dataset.validate: {path}: its checksum does not match the "
                                   f"manifest of version {self.version} (corrupted)")

    # ------------------------------------------------------------------ reading

    def _fragments(self) -> list:
        """The fragments as pyarrow tables over memory maps (mapped once)."""
        with self._lock:
            if self._mapped is None:
                pa = _pyarrow("Dataset")
                tables = []
                for frag in self._body["fragments"]:
                    path = os.path.join(self._root, frag["file"])
                    try:
                        reader = pa.ipc.open_file(pa.memory_map(path, "r"))
                        table = reader.read_all()
                    except (OSError, pa.ArrowInvalid) as e:
                        from .errors import CorruptError
                        raise CorruptError(f"weft dataset {self._root}: fragment {path} does not "
                                           f"read as Arrow IPC ({e})") from None
                    if table.num_rows != frag["rows"] or not table.schema.equals(self._schema):
                        from .errors import CorruptError
                        raise CorruptError(f"weft dataset {self._root}: fragment {path} holds "
                                           f"{table.num_rows} rows of schema {table.schema}, the "
                                           f"manifest says {frag['rows']} of {self._schema}")
                    tables.append(table)
                self._mapped = tables
            return self._mapped

    def _column(self, name: str) -> Any:
        """One pyarrow Array of the column over every fragment: the mapped one for one
        fragment (no copy), else concatenated once and kept."""
        pa = _pyarrow("Dataset")
        with self._lock:
            got = self._columns.get(name)
        if got is not None:
            return got
        parts = [c for t in self._fragments() for c in t.column(name).chunks]
        field = self._schema.field(name)
        if not parts:
            arr = pa.array([], type=field.type)
        elif len(parts) == 1:
            arr = parts[0]
        else:
            arr = pa.concat_arrays(parts)
        with self._lock:
            return self._columns.setdefault(name, arr)

    def _table(self, names: Sequence[str], fragments: Optional[list] = None) -> Any:
        pa = _pyarrow("Dataset")
        if fragments is None:
            arrays = [self._column(n) for n in names]
        else:  # some fragments only: concatenated for this read
            tables = self._fragments()
            arrays = []
            for n in names:
                parts = [c for i in fragments for c in tables[i].column(n).chunks]
                if not parts:
                    arrays.append(pa.array([], type=self._schema.field(n).type))
                else:
                    arrays.append(parts[0] if len(parts) == 1 else pa.concat_arrays(parts))
        return pa.Table.from_arrays(arrays, schema=pa.schema([self._schema.field(n) for n in names]))

    def _check_columns(self, columns: Optional[Sequence[str]], where: str) -> list:
        if columns is None:
            return self.columns
        if isinstance(columns, str):
            columns = [columns]
        names = list(columns)
        for n in names:
            if n not in self.columns:
                raise NotFoundError(f"{where}: no column {n!r} (columns: {self.columns})")
        return names

    def _index_entries(self) -> dict:
        """column -> (TableIndex, DataFrame of that column, Binding): the saved indexes,
        loaded on first use and bound to the column as this object reads it."""
        from .frame import DataFrame
        from .index import load_index

        with self._lock:
            if self._source is not None:
                return self._source
        entries = {}
        for e in self._body["indexes"]:
            tix = _table_index.TableIndex(e["column"], e["kind"], e["metric"], e["params"],
                                          load_index(os.path.join(self._root, e["file"])), e["rows"])
            src = DataFrame._from_handle(_arrow_handle(self._table([e["column"]])))
            entries[e["column"]] = (tix, src, _table_index.Binding(src._handle, tix, None))
        with self._lock:
            if self._source is None:
                self._source = entries
            return self._source

    def to_frame(self, columns: Optional[Sequence[str]] = None) -> Any:
        """The rows as a weft DataFrame (only `columns`, if given), with the saved indexes
        of the columns it holds (DataFrame.indexes)."""
        from .frame import DataFrame
        names = self._check_columns(columns, "Dataset.to_frame")
        df = DataFrame._from_handle(_arrow_handle(self._table(names)))
        for name, entry in self._index_entries().items():
            if name in names and _table_index.matches(df._handle, entry[0], entry[2]):
                df._indexes[name] = entry
        return df

    to_table = to_frame

    def scan(self) -> Any:
        """A LazyFrame over the dataset: collect() reads only the columns the query uses
        (memory-mapped, no copy), skips the fragments whose statistics rule out the filter
        directly above the scan (after pushdown), and a nearest on an indexed column
        searches the index (explain says so)."""
        from .frame import DataFrame
        from .lazy import _PLAN_INDEXES, LazyFrame

        schema = DataFrame(self._schema.empty_table())
        ctx = _dataset_scan.register(self)
        out = _lib.weft_plan_p()
        name = f"dataset {self._root} v{self.version}"
        _check(_lib.weft_plan_scan_source(schema._handle, self.count_rows(), name.encode("utf-8"),
                                          _dataset_scan.READ, _dataset_scan.RELEASE, ctx,
                                          ctypes.byref(out)), "Dataset.scan")
        lf = LazyFrame._own(out)
        entries = self._index_entries()
        if entries:
            _PLAN_INDEXES[out.value] = dict(entries)
        return lf

    # ------------------------------------------------------------------ writing

    def _commit(self, fragments: list, indexes: list, schema: Any, where: str) -> "Dataset":
        body = _manifest.new_body(self.version + 1, schema, fragments, indexes)
        try:
            _manifest.commit(self._root, body)
        except FileExistsError:
            raise InvalidArgumentError(
                f"{where}: another writer committed version {self.version + 1} of {self._root} "
                "first; open the dataset again and retry") from None
        return Dataset(self._root, body)

    def append(self, data: Any) -> "Dataset":
        """A new version with `data`'s rows after these (its columns must be these, same
        names, order and types); saved indexes take the new rows' vectors. Returns the new
        version (this object still reads its own)."""
        table = arrow_of(data, "Dataset.append")
        if not table.schema.equals(self._schema):
            raise InvalidArgumentError(f"Dataset.append: the rows have schema {table.schema}; "
                                       f"dataset {self._root} has {self._schema}")
        fragments = list(self._body["fragments"])
        if table.num_rows:
            fragments.append(write_fragment(self._root, table))
        indexes = []
        if table.num_rows and self._body["indexes"]:
            from .frame import DataFrame
            new = DataFrame(table)
            for name, (tix, _, _) in self._index_entries().items():
                series = new.get_column(name)
                valid = series._valid_mask()
                import numpy as np
                rows = np.arange(len(series)) if valid is None else np.flatnonzero(valid)
                if rows.size:
                    tix.index.add(series.to_numpy()[rows], rows.astype(np.int64) + self.count_rows())
                grown = _table_index.TableIndex(tix.column, tix.kind, tix.metric, tix.params,
                                                tix.index, self.count_rows() + table.num_rows)
                indexes.append(save_index(self._root, grown))
            with self._lock:
                self._source = None  # the loaded index objects took rows this version lacks
        else:
            indexes = list(self._body["indexes"])
        return self._commit(fragments, indexes, self._schema, "Dataset.append")

    def create_index(self, column: str, kind: str = "ivf_flat", **kwargs: Any) -> "Dataset":
        """Builds an index over `column` (DataFrame.create_index's arguments) and commits a
        new version that holds it (replacing one on the same column); returns that version."""
        if not isinstance(column, str) or column not in self.columns:
            raise NotFoundError(f"Dataset.create_index: no column {column!r} (columns: {self.columns})")
        df = self.to_frame([column])
        df.create_index(column, kind, **kwargs)
        return self._with_index(df._indexes[column][0])

    def _with_index(self, tix: Any) -> "Dataset":
        """A new version holding the index `tix` (built over exactly these rows)."""
        entry = save_index(self._root, tix)
        indexes = [e for e in self._body["indexes"] if e["column"] != tix.column] + [entry]
        return self._commit(list(self._body["fragments"]), indexes, self._schema,
                            "Dataset.create_index")

    def drop_index(self, column: str) -> "Dataset":
        """A new version without the index on `column`."""
        name = column[:-4] if column.endswith("_idx") and column not in self.columns else column
        indexes = [e for e in self._body["indexes"] if e["column"] != name]
        if len(indexes) == len(self._body["indexes"]):
            raise InvalidArgumentError(f"Dataset.drop_index: no index on {column!r} "
                                       f"(indexes: {[i['name'] for i in self.indexes]})")
        return self._commit(list(self._body["fragments"]), indexes, self._schema,
                            "Dataset.drop_index")


def _arrow_handle(table: Any) -> Any:
    from .frame import _arrow_handle as handle
    return handle(table, "weft dataset")


# ---------------------------------------------------------------- open / write


def open_dataset(path: Union[str, os.PathLike], version: Optional[int] = None) -> Dataset:
    """The dataset in folder `path` at its newest committed version (or `version`). Reads
    the manifest only (no data); a folder that is not a dataset, or a corrupted manifest or
    file, raises naming the path."""
    where = "weft.open_dataset"
    _pyarrow(where)
    root = _root(path, where)
    if not os.path.exists(root):
        raise NotFoundError(f"{where}: no such folder {root!r}")
    if not os.path.isdir(root):
        raise InvalidArgumentError(f"{where}: {root!r} is a file, not a dataset folder")
    found = _manifest.versions(root)
    if not found:
        raise NotFoundError(f"{where}: {root!r} is not a weft dataset (no "
                            f"{_manifest.VERSIONS}/<n>.manifest in it)")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise InvalidArgumentError(f"{where}: version must be an int, got {version!r}")
    return Dataset(root, _manifest.read(root, found[-1] if version is None else version))


def write_dataset(data: Any, path: Union[str, os.PathLike], mode: str = "create") -> Dataset:
    """Writes `data` (a weft DataFrame or what weft.DataFrame takes) as a dataset in folder
    `path`: mode "create" (the folder must not hold a dataset or anything else), "append"
    (a new version with the rows added; creates the dataset when there is none) or
    "overwrite" (a new version of just these rows; older versions stay readable). Returns
    the version written."""
    where = "weft.write_dataset"
    _pyarrow(where)
    if mode not in _MODES:
        raise InvalidArgumentError(f"{where}: mode={mode!r}; use one of {list(_MODES)}")
    root = _root(path, where)
    found = _manifest.versions(root)
    if found and mode == "create":
        raise InvalidArgumentError(f"{where}: {root!r} holds a dataset already (version "
                                   f"{found[-1]}); use mode='append' or 'overwrite'")
    if not found and os.path.isdir(root) and os.listdir(root) and mode == "create":
        raise InvalidArgumentError(f"{where}: {root!r} exists and is not empty (and not a dataset)")
    if os.path.exists(root) and not os.path.isdir(root):
        raise InvalidArgumentError(f"{where}: {root!r} is a file, not a folder")
    if found and mode == "append":
        return open_dataset(root).append(data)
    table = arrow_of(data, where)
    os.makedirs(root, exist_ok=True)
    fragments = [write_fragment(root, table)]
    previous = Dataset(root, _manifest.read(root, found[-1])) if found else None
    if previous is None:
        body = _manifest.new_body(1, table.schema, fragments, [])
        try:
            _manifest.commit(root, body)
        except FileExistsError:
            raise InvalidArgumentError(f"{where}: another writer created {root!r} first") from None
        return Dataset(root, body)
    return previous._commit(fragments, [], table.schema, where)
