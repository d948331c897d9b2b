"""What every encoder shares: argument checks, the fitted state, inputs (DataFrame or
LazyFrame), JSON files and the registry that load_encoder reads them back through.

An encoder is plain Python data (its parameters and what fit learned: floats, ints, strings,
lists), so pickle works without help and a saved file is readable JSON. Its transform builds
weft expressions (and, for a vocabulary, a join), so the rows are computed by weft's engine
on the device weft picks; fit runs weft aggregations and brings back only their results.
"""

from __future__ import annotations

import json
import os
from typing import Any, Optional, Union

from .._atomic import atomic_path
from ..errors import CorruptError, InvalidArgumentError, WeftIOError
from ..frame import DataFrame
from ..lazy import LazyFrame

Frame = Union[DataFrame, LazyFrame]

FORMAT = "weft.encoder"
VERSION = 1

NUMERIC_TYPES = frozenset(["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                           "uint64", "float32", "float64"])
INTEGER_TYPES = NUMERIC_TYPES - {"float32", "float64"}
CATEGORICAL_TYPES = INTEGER_TYPES | {"utf8", "categorical", "bool"}

_REGISTRY: dict = {}


class NotFittedError(InvalidArgumentError):
    """transform (or save's learned values) asked of an encoder that was never fitted."""


def register(cls: type) -> type:
    """Adds an encoder class to the names load_encoder knows."""
    _REGISTRY[cls.__name__] = cls
    return cls


def column_list(columns: Any, where: str) -> list:
    """columns: one name or a non-empty sequence of distinct names."""
    if isinstance(columns, str):
        return [columns]
    if not isinstance(columns, (list, tuple)) or not columns:
        raise InvalidArgumentError(f"{where}: columns must be a column name or a non-empty list of "
                                   f"names, got {columns!r}")
    for c in columns:
        if not isinstance(c, str):
            raise InvalidArgumentError(f"{where}: column names are str, got {c!r}")
    if len(set(columns)) != len(columns):
        raise InvalidArgumentError(f"{where}: columns {list(columns)!r} name a column twice")
    return list(columns)


def as_frame(data: Any, where: str) -> Frame:
    """A weft DataFrame or LazyFrame as it is; anything weft.DataFrame takes (a dict, a
    Polars / pyarrow / pandas frame) converted."""
    if isinstance(data, (DataFrame, LazyFrame)):
        return data
    try:
        return DataFrame(data)
    except InvalidArgumentError as e:
        raise InvalidArgumentError(f"{where}: expected a weft DataFrame or LazyFrame ({e})") from None


def collect(frame: Frame) -> DataFrame:
    return frame.collect() if isinstance(frame, LazyFrame) else frame


def one_row(frame: Frame) -> dict:
    """{name: value} of a one-row result (an aggregation's)."""
    df = collect(frame)
    return {name: df[name].to_list()[0] for name in df.columns}


def plain(value: Any) -> Any:
    """A Python scalar from a numpy one, so that JSON and equality behave."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


class Encoder:
    """The base of weft's encoders: ``fit(data)`` learns from a DataFrame or LazyFrame and
    returns the encoder, ``transform(data)`` builds weft expressions with what it learned
    (a LazyFrame in, a LazyFrame out), ``fit_transform`` does both, ``save(path)`` writes
    JSON that :func:`weft.load_encoder` reads back."""

    def __init__(self, columns: Any) -> None:
        self.columns = column_list(columns, self._call("__init__"))
        self.state: Optional[dict] = None

    # ------------------------------------------------------------------ naming
    def _call(self, method: str) -> str:
        """The Python call an error names, e.g. ``weft.Standardize(['a']).fit``."""
        cols = getattr(self, "columns", None)
        head = f"weft.{type(self).__name__}({cols!r})" if cols is not None else f"weft.{type(self).__name__}"
        return head if method == "__init__" else f"{head}.{method}"

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"weft.{type(self).__name__}({args}){'' if self.is_fitted else ' (not fitted)'}"

    # ------------------------------------------------------------------ fit / transform
    @property
    def is_fitted(self) -> bool:
        return self.state is not None

    def fit(self, data: Any) -> "Encoder":
        """Learns from `data` (a weft DataFrame or LazyFrame) and returns the encoder."""
        where = self._call("fit")
        frame = as_frame(data, where)
        schema = self._checked_schema(frame, where)
        self.state = self._fit(frame, schema, where)
        return self

    def transform(self, data: Any) -> Frame:
        """The data with the encoded columns: a DataFrame for a DataFrame, a LazyFrame (the
        expressions added to its plan) for a LazyFrame."""
        where = self._call("transform")
        if self.state is None:
            raise NotFittedError(f"{where}: the encoder is not fitted; call fit(data) first")
        frame = as_frame(data, where)
        schema = self._checked_schema(frame, where)
        return self._transform(frame, schema, where)

    def fit_transform(self, data: Any) -> Frame:
        """fit(data) then transform(data)."""
        frame = as_frame(data, self._call("fit_transform"))
        return self.fit(frame).transform(frame)

    def _checked_schema(self, frame: Frame, where: str) -> dict:
        schema = frame.schema
        for c in self.columns:
            if c not in schema:
                raise InvalidArgumentError(f"{where}: unknown column {c!r} (the input has "
                                           f"{list(schema)!r})")
            allowed = self._types()
            if allowed is not None and schema[c] not in allowed:
                raise InvalidArgumentError(f"{where}: column {c!r} is {schema[c]}; "
                                           f"{type(self).__name__} takes {self._types_text()}")
        return schema

    def _types(self) -> Optional[frozenset]:
        return None  # any type

    def _types_text(self) -> str:
        return "numeric columns"

    # what each encoder defines
    def _fit(self, frame: Frame, schema: dict, where: str) -> dict:
        raise NotImplementedError

    def _transform(self, frame: Frame, schema: dict, where: str) -> Frame:
        raise NotImplementedError

    def params(self) -> dict:
        """The constructor's arguments, as JSON values."""
        return {"columns": list(self.columns)}

    # ------------------------------------------------------------------ files
    def to_dict(self) -> dict:
        """The encoder as JSON-ready data: its type, parameters and learned state."""
        return {"format": FORMAT, "version": VERSION, "type": type(self).__name__,
                "params": self.params(), "state": self.state}

    @classmethod
    def _from_dict(cls, d: dict) -> "Encoder":
        enc = cls(**d["params"])
        enc.state = d["state"]
        return enc

    def save(self, path: Union[str, os.PathLike]) -> None:
        """Writes the encoder (parameters and learned values) as JSON, to a temporary file
        renamed over `path`, so a failed write leaves no half file."""
        where = f"{self._call('save')}({os.fspath(path)!r})"
        text = json.dumps(self.to_dict(), indent=1)
        try:
            with atomic_path(path) as tmp:
                with open(tmp, "w", encoding="utf-8") as f:
                    f.write(text)
        except OSError as e:
            raise WeftIOError(f"{where}: {e}") from None


def from_dict(d: Any, where: str) -> Encoder:
    """The encoder a to_dict() result describes."""
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise CorruptError(f"{where}: not a weft encoder (no \"format\": \"{FORMAT}\")")
    if d.get("version") != VERSION:
        raise CorruptError(f"{where}: encoder format version {d.get('version')!r}; this weft "
                           f"reads version {VERSION}")
    cls = _REGISTRY.get(d.get("type"))
    if cls is None:
        raise CorruptError(f"{where}: unknown encoder type {d.get('type')!r} (known: "
                           f"{sorted(_REGISTRY)})")
    if not isinstance(d.get("params"), dict) or "state" not in d:
        raise CorruptError(f"{where}: an encoder needs \"params\" and \"state\"")
    try:
        return cls._from_dict(d)
    except (TypeError, KeyError) as e:
        raise CorruptError(f"{where}: bad {d['type']} parameters or state: {e}") from None


def load_encoder(path: Union[str, os.PathLike]) -> Encoder:
    """An encoder (or Pipeline) written by ``save(path)``, with what it learned."""
    where = f"weft.load_encoder({os.fspath(path)!r})"
    try:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
    except OSError as e:
        raise WeftIOError(f"{where}: {e}") from None
    except ValueError as e:
        raise CorruptError(f"{where}: not JSON: {e}") from None
    return from_dict(d, where)


