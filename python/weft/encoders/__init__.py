"""Encoders for ML training data, scikit-learn / NVTabular style: ``fit`` learns from a
weft DataFrame or LazyFrame, ``transform`` builds weft expressions (so the rows are
computed by weft's engine, on the device it picks), ``save`` / ``weft.load_encoder``
keep what was learned as JSON, and pickle works.

    >>> prep = weft.Pipeline([weft.Standardize(["x", "y"]), weft.OneHot("city")])
    >>> train_x = prep.fit_transform(train)
    >>> test_x = prep.transform(test.lazy()).collect()

One file per encoder or family: scalers.py (Standardize, MinMax), fill.py (FillNull),
onehot.py (OneHot), categorify.py (Categorify), hash_bucket.py (HashBucket),
pipeline.py (Pipeline); _base.py holds what they share (argument checks, files).
"""

from ._base import Encoder, NotFittedError, load_encoder
from .categorify import Categorify
from .fill import FillNull
from .hash_bucket import HashBucket
from .onehot import OneHot
from .pipeline import Pipeline
from .scalers import MinMax, Standardize

__all__ = ["Encoder", "NotFittedError", "load_encoder", "Standardize", "MinMax", "FillNull",
           "OneHot", "Categorify", "HashBucket", "Pipeline"]
