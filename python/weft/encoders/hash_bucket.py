"""HashBucket: values to one of num_buckets buckets by a fixed hash, with nothing to learn."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InvalidArgumentError
from ..expr import col
from ..frame import DataFrame
from ._base import CATEGORICAL_TYPES, Encoder, Frame, collect, register
from .categories import TYPES_TEXT

# The hash, the same on every run, machine and device (weft has no hash expression):
#   an integer x (bools as 0 / 1):  k = x mod P
#   a string s:                     k = FNV-1a 64(UTF-8 bytes of s) mod P
#   bucket = ((k * A + B) mod P) mod num_buckets
# P is the Mersenne prime 2**31 - 1, so k * A + B stays under 2**62 in int64 arithmetic and
# integers hash with weft expressions only (any device). Strings are hashed once per
# distinct value in Python and the rows get their bucket from a weft join.
P = 2**31 - 1
A = 1_500_450_271
B = 1_234_567_891
_FNV_OFFSET, _FNV_PRIME, _MASK = 0xCBF29CE484222325, 0x100000001B3, 2**64 - 1
_BUCKET = "__weft_hash_bucket"


def fnv1a_64(data: bytes) -> int:
    h = _FNV_OFFSET
    for byte in data:
        h = ((h ^ byte) * _FNV_PRIME) & _MASK
    return h


def bucket_of(value: Any, num_buckets: int) -> int:
    """The bucket of one value (a reference for the expressions transform builds)."""
    k = fnv1a_64(value.encode("utf-8")) if isinstance(value, str) else int(value)
    return ((k % P) * A + B) % P % num_buckets


@register
class HashBucket(Encoder):
    """Each value replaced by its bucket in ``[0, num_buckets)``, int32, by the fixed hash
    documented in this module (integers: ``((x mod P) * A + B) mod P mod num_buckets`` with
    P = 2**31 - 1, as a weft expression; strings: FNV-1a 64 first); the same value gets the
    same bucket on every run and device. Nulls stay null. fit learns nothing (it checks the
    columns); num_buckets is 1 .. 2**31 - 1. A string column's distinct values are read at
    transform time (on a LazyFrame, that part of the plan runs then) and joined with their
    buckets."""

    def __init__(self, columns: Any, num_buckets: int) -> None:
        super().__init__(columns)
        if isinstance(num_buckets, bool) or not isinstance(num_buckets, (int, np.integer)) or not (
                1 <= num_buckets <= P):
            raise InvalidArgumentError(f"{self._call('__init__')}: num_buckets must be an int in "
                                       f"1 .. {P}, got {num_buckets!r}")
        self.num_buckets = int(num_buckets)

    def params(self) -> dict:
        return {"columns": list(self.columns), "num_buckets": self.num_buckets}

    def _types(self):
        return CATEGORICAL_TYPES

    def _types_text(self) -> str:
        return TYPES_TEXT

    def _fit(self, frame: Frame, schema: dict, where: str) -> dict:
        return {}

    def _transform(self, frame: Frame, schema: dict, where: str) -> Frame:
        if _BUCKET in schema:
            raise InvalidArgumentError(f"{where}: the input has a column named {_BUCKET!r}, which "
                                       "HashBucket uses for its join")
        out = frame
        ints = []
        for c in self.columns:
            if schema[c] != "utf8":
                x = col(c).cast("int64") if schema[c] == "bool" else col(c)
                k = (x % P).cast("int64")
                ints.append(((k * A + B) % P % self.num_buckets).cast("int32").alias(c))
                continue
            distinct = [v for v in collect(frame.select(col(c)).unique())[c].to_list() if v is not None]
            table = DataFrame({c: np.array(distinct, dtype=object),
                               _BUCKET: np.array([bucket_of(v, self.num_buckets) for v in distinct],
                                                 dtype=np.int32)})
            if not distinct:
                out = out.with_columns(col(c).cast("int32").alias(c))  # nulls only
                continue
            out = out.join(table if isinstance(out, DataFrame) else table.lazy(), on=c, how="left")
            out = out.with_columns(col(_BUCKET).alias(c)).drop(_BUCKET)
        return out.with_columns(*ints) if ints else out
