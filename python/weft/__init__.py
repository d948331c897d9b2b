"""weft: columnar data and vectors on every device a machine has (CUDA, OpenCL, CPU).

    >>> import numpy as np, weft
    >>> weft.devices()
    [Device(id='cpu:0', ...), Device(id='opencl:0', ...)]
    >>> weft.axpy(2.0, np.arange(4.0), np.ones(4))
    array([1., 3., 5., 7.])
    >>> weft.sum(np.arange(4.0), device="opencl:0")
    6.0
    >>> print(weft.last_report())
    >>> index = weft.FlatIndex(dim=128, metric="l2")
    >>> index.add(xb)
    >>> D, I = index.search(xq, k=10)
"""

from . import _lib
from .devices import (
    Backend,
    Device,
    backends,
    device,
    devices,
    memory_limit,
    release_memory,
    set_memory_limit,
)
from .errors import (
    BackendUnavailableError,
    CancelledError,
    CorruptError,
    DeviceError,
    DeviceMemoryError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    OutOfMemoryError,
    UnsupportedError,
    WeftError,
    WeftIOError,
)
from .exec import Exec, last_device, last_report
from .expr import AggExpr, Expr, col, duration, len, lit, when
from .frame import DataFrame, Series, concat, from_arrow, read_csv, read_parquet
from .index import Bitset, FlatIndex, load_index
from .ivf import IVFIndex, kmeans
from .lazy import LazyFrame, LazyGroupBy
from ._scan_parquet import scan_parquet
from .encoders import (Categorify, Encoder, FillNull, HashBucket, MinMax, NotFittedError, OneHot,
                       Pipeline, Standardize, load_encoder)
from .interchange import from_dlpack, from_pandas, from_polars
from .splits import train_test_split
from ._knn_join import knn_join
from .dataset import Dataset, open_dataset, write_dataset
from .ops import ReduceResult, axpy, max, min, reduce, sum
from .progress import config, set_progress

#: The categorical dtype (dictionary-encoded utf8: Polars' Categorical / Enum, pandas'
#: category, Arrow's dictionary<int32, utf8>), for ``col(...).cast(weft.Categorical)``.
Categorical = "categorical"


def __getattr__(name: str) -> object:
    """weft.TorchDataset imports torch, so only when it is first used."""
    if name == "TorchDataset":
        try:
            from .torch_data import TorchDataset
        except ImportError as exc:
            raise ImportError(f"weft.TorchDataset needs torch ({exc}): pip install torch (the CPU "
                              "wheel: --index-url https://download.pytorch.org/whl/cpu), or "
                              "Debian's python3-torch") from None
        return TorchDataset
    raise AttributeError(f"module 'weft' has no attribute {name!r}")


__version__ = _lib.weft_version_string().decode("ascii")

# weft.len, weft.sum, weft.min and weft.max are attributes, left out of __all__ so that
# `from weft import *` does not shadow Python's builtins of those names. weft.TorchDataset is
# left out too: a star import would import torch.

__all__ = [
    "__version__",
    "Categorical",
    "Backend",
    "Device",
    "backends",
    "device",
    "devices",
    "memory_limit",
    "release_memory",
    "set_memory_limit",
    "Exec",
    "config",
    "set_progress",
    "last_device",
    "last_report",
    "ReduceResult",
    "axpy",
    "reduce",
    "read_csv",
    "DataFrame",
    "Series",
    "concat",
    "from_arrow",
    "from_dlpack",
    "from_pandas",
    "from_polars",
    "train_test_split",
    "read_parquet",
    "scan_parquet",
    "knn_join",
    "Dataset",
    "open_dataset",
    "write_dataset",
    "LazyFrame",
    "LazyGroupBy",
    "col",
    "lit",
    "when",
    "duration",
    "Expr",
    "AggExpr",
    "FlatIndex",
    "IVFIndex",
    "kmeans",
    "Bitset",
    "load_index",
    "Encoder",
    "Standardize",
    "MinMax",
    "FillNull",
    "OneHot",
    "Categorify",
    "HashBucket",
    "Pipeline",
    "load_encoder",
    "NotFittedError",
    "WeftError",
    "InvalidArgumentError",
    "OutOfMemoryError",
    "DeviceMemoryError",
    "DeviceError",
    "UnsupportedError",
    "NotFoundError",
    "BackendUnavailableError",
    "WeftIOError",
    "CorruptError",
    "InternalError",
    "CancelledError",
]
