"""A dataset's versions on disk: manifests (JSON) and the atomic writes that commit them.

    dir/_versions/<n>.manifest   version n: its schema, fragments, indexes (as Lance's)
    dir/data/<uuid>.arrow        a fragment: one Arrow IPC file of one record batch
    dir/_indices/<uuid>.idx      an index file (FlatIndex.save / IVFIndex.save)

A version is committed by its manifest alone: data and index files are written first (a
temporary name, synced, renamed), then the manifest is written to a temporary file, synced,
and linked to `<n>.manifest` (a link, unlike a rename, fails when the name exists, so two
writers cannot both commit version n), and the folder is synced. A writer killed at any
point leaves the last committed version as the newest complete manifest; files it wrote for
a version it did not commit are never read. Each manifest carries a CRC-32 of its body and
of every file it names (checked by Dataset.validate; opening checks the manifest's own and
each file's size, so it reads no data).
"""

from __future__ import annotations

import base64
import json
import os
import re
import tempfile
import zlib
from typing import Any

from ._atomic import fsync_file, sync_directory  # noqa: F401 (sync_directory: _dataset_write)
from .errors import CorruptError, NotFoundError, WeftIOError

FORMAT = "weft-dataset"
FORMAT_VERSION = 1
VERSIONS = "_versions"
DATA = "data"
INDICES = "_indices"
_NAME = re.compile(r"^(\d+)\.manifest$")


def crc32_file(path: str) -> int:
    crc = 0
    with open(path, "rb", buffering=0) as f:
        while True:
            block = f.read(1 << 22)
            if not block:
                return crc
            crc = zlib.crc32(block, crc)


def temp_path(folder: str, name: str) -> str:
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    os.close(fd)
    return tmp


def publish(tmp: str, path: str) -> None:
    """The synced temporary file renamed to `path` (a new, unique name), its folder synced."""
    fsync_file(tmp)
    os.replace(tmp, path)
    sync_directory(os.path.dirname(path))


def versions(root: str) -> list[int]:
    """The committed version numbers, ascending."""
    try:
        names = os.listdir(os.path.join(root, VERSIONS))
    except FileNotFoundError:
        return []
    return sorted(int(m.group(1)) for m in map(_NAME.match, names) if m)


def schema_text(schema: Any) -> str:
    return base64.b64encode(schema.serialize().to_pybytes()).decode("ascii")


def schema_from_text(text: str, path: str) -> Any:
    import pyarrow as pa

    try:
        return pa.ipc.read_schema(pa.py_buffer(base64.b64decode(text)))
    except (ValueError, pa.ArrowInvalid) as e:
        raise CorruptError(f"weft.open_dataset: {path}: the schema does not decode ({e})") from None


def _body_crc(body: dict) -> int:
    return zlib.crc32(json.dumps(body, sort_keys=True).encode("utf-8"))


def read(root: str, version: int) -> dict:
    """Version `version`'s manifest, checked (CorruptError naming the file otherwise)."""
    path = os.path.join(root, VERSIONS, f"{version}.manifest")
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise NotFoundError(f"weft.open_dataset: {root} has no version {version} "
                            f"(versions: {versions(root)})") from None
    except OSError as e:
        raise WeftIOError(f"weft.open_dataset: cannot read {path}: {e}") from None
    try:
        doc = json.loads(raw)
        body, crc = doc["body"], doc["crc32"]
    except (ValueError, KeyError, TypeError):
        raise CorruptError(f"weft.open_dataset: {path} is not a weft dataset manifest "
                           "(truncated or corrupted JSON)") from None
    if _body_crc(body) != crc:
        raise CorruptError(f"weft.open_dataset: {path}: the manifest's checksum does not match "
                           "its contents (corrupted)")
    if body.get("format") != FORMAT or body.get("format_version") != FORMAT_VERSION:
        raise CorruptError(f"weft.open_dataset: {path}: format {body.get('format')!r} version "
                           f"{body.get('format_version')!r}; this weft reads {FORMAT!r} "
                           f"version {FORMAT_VERSION}")
    for frag in body["fragments"]:
        check_size(root, frag, "fragment")
    for ix in body["indexes"]:
        check_size(root, ix, "index file")
    return body


def check_size(root: str, entry: dict, what: str) -> None:
    path = os.path.join(root, entry["file"])
    try:
        size = os.stat(path).st_size
    except OSError:
        raise CorruptError(f"weft.open_dataset: {what} {path} of the manifest is missing") from None
    if size != entry["bytes"]:
        raise CorruptError(f"weft.open_dataset: {what} {path} has {size} bytes, the manifest "
                           f"says {entry['bytes']} (truncated or replaced)")


def file_entry(root: str, path: str, **extra: Any) -> dict:
    """A manifest entry for a file written under `root`: its name, size and CRC-32."""
    return {"file": os.path.relpath(path, root), "bytes": os.stat(path).st_size,
            "crc32": crc32_file(path), **extra}


def commit(root: str, body: dict) -> None:
    """Writes version body["version"]'s manifest; FileExistsError when another writer
    committed that version first."""
    folder = os.path.join(root, VERSIONS)
    os.makedirs(folder, exist_ok=True)
    doc = {"body": body, "crc32": _body_crc(body)}
    tmp = temp_path(folder, "manifest")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f, sort_keys=True)
        fsync_file(tmp)
        os.link(tmp, os.path.join(folder, f"{body['version']}.manifest"))
    finally:
        os.unlink(tmp)
    sync_directory(folder)


def new_body(version: int, schema: Any, fragments: list, indexes: list) -> dict:
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "version": version,
            "schema": schema_text(schema), "fragments": fragments, "indexes": indexes,
            "rows": sum(f["rows"] for f in fragments),
            "columns": [[f.name, str(f.type)] for f in schema]}
