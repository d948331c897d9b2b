"""OneHot's transform of a DataFrame's string or categorical columns without one weft
expression per category: the column's dictionary codes (weft's cast to categorical, a hash
of each string once in C) mapped through a small table to the output column each row sets,
then a single scatter of ones into one zeroed (categories, rows) uint8 block whose rows
become the output columns without a copy. For 100 categories over 2M rows this replaces a
join with the categories and 100 comparisons (about 0.65 s on 2 cores) by the cast and one
pass (about 0.2 s). Only the dictionary (each distinct string once) is looked at in Python.
"""

from __future__ import annotations

import numpy as np

from .._columns import _strings_of, _valid, _values, pick_columns
from ..expr import col
from ..frame import DataFrame

DENSE_TYPES = ("utf8", "categorical")


def _slots(frame: DataFrame, c: str, schema: dict, items: list) -> np.ndarray:
    """Each row's output column (its index in items), -1 for none (an unseen value, a
    dropped column, a null when fit saw none)."""
    src = frame if schema[c] == "categorical" else frame.select(col(c).cast("categorical"))
    i = src._index(c)
    view = src._view(i)
    slot_of = {v: k for k, (_, v) in enumerate(items)}  # v None: the null column
    dictionary = _strings_of(view.dictionary, src)
    lut = np.array([slot_of.get(v, -1) for v in dictionary] or [-1], dtype=np.int64)
    slots = lut[_values(view, src)] if view.length else np.zeros(0, dtype=np.int64)
    valid = _valid(view, src)
    if valid is not None:
        slots[~valid] = slot_of.get(None, -1)
    return slots


def one_hot_block(frame: DataFrame, c: str, schema: dict, items: list) -> np.ndarray:
    """A (len(items), rows) uint8 array: row k is output column items[k]."""
    n = frame.height
    block = np.zeros((len(items), n), dtype=np.uint8)  # zero pages, filled as ones land
    if not items or not n:
        return block
    slots = _slots(frame, c, schema, items)
    flat = slots * n
    flat += np.arange(n, dtype=np.int64)
    hit = slots >= 0
    block.reshape(-1)[flat if hit.all() else flat[hit]] = 1
    return block


def transform(frame: DataFrame, schema: dict, columns: list, outputs: dict) -> DataFrame:
    """frame with each of `columns` replaced in place by its one-hot columns; outputs[c] is
    OneHot.output_columns(c), [(name, value)] in order."""
    encoded = set(columns)
    blocks = {c: one_hot_block(frame, c, schema, outputs[c]) for c in columns}
    arrays = {name: blocks[c][k] for c in columns for k, (name, _) in enumerate(outputs[c])}
    dummies = DataFrame(arrays) if arrays else None
    sources, names = [], []
    for i, name in enumerate(schema):
        if name not in encoded:
            sources.append((frame._handle, i))
            names.append(name)
            continue
        for out_name, _ in outputs[name]:
            sources.append((dummies._handle, dummies._index(out_name)))
            names.append(out_name)
    return DataFrame._from_handle(pick_columns(sources, names))  # buffers shared, in C
