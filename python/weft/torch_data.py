"""weft.TorchDataset: a DataFrame as a torch IterableDataset of ready batches.

    >>> ds = weft.TorchDataset(df, batch_size=4096, shuffle=True, seed=0, columns=["x", "y"])
    >>> loader = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=4)
    >>> for epoch in range(10):
    ...     ds.set_epoch(epoch)                        # a new order each epoch
    ...     for batch in loader: ...                   # {"x": tensor, "y": tensor}

Each item is a whole batch (DataFrame.iter_batches with format="torch"), so the DataLoader
takes batch_size=None. With num_workers > 0, every worker draws the same permutation (the
seed, plus the epoch) and gathers only its own contiguous run of the batches
(torch.utils.data.get_worker_info), so every row comes once per epoch. torch is imported
when this module is (weft.TorchDataset is looked up lazily by the package).
"""

from __future__ import annotations

from typing import Iterator, Optional, Sequence, Union

import numpy as np
import torch.utils.data as _tud

from .batches import check_seed, iter_batches, select_columns
from .errors import InvalidArgumentError
from .frame import DataFrame

__all__ = ["TorchDataset"]


class TorchDataset(_tud.IterableDataset):
    """An IterableDataset of a weft DataFrame's batches (dicts of column -> tensor)."""

    def __init__(self, df: DataFrame, batch_size: int, shuffle: bool = False,
                 seed: Optional[int] = None, columns: Union[None, str, Sequence[str]] = None,
                 drop_last: bool = False) -> None:
        where = "weft.TorchDataset"
        if not isinstance(df, DataFrame):
            raise InvalidArgumentError(f"{where}: expected a weft DataFrame, got {type(df).__name__}")
        seed = check_seed(seed, where)
        if seed is None and shuffle:  # the workers must agree on one permutation
            seed = int(np.random.default_rng().integers(0, 2**62))
        self.df = select_columns(df, columns, where)
        self.batch_size, self.shuffle, self.seed, self.drop_last = batch_size, shuffle, seed, drop_last
        self.epoch = 0
        iter_batches(self.df, batch_size, shuffle=False, drop_last=drop_last, format="torch")  # checks the arguments now

    def set_epoch(self, epoch: int) -> None:
        """The permutation of the next iteration is seed + epoch's (DistributedSampler's way)."""
        self.epoch = int(epoch)

    def __iter__(self) -> Iterator[dict]:
        info = _tud.get_worker_info()
        part = (info.id, info.num_workers) if info is not None else (0, 1)
        seed = self.seed + self.epoch if self.shuffle else None
        return iter_batches(self.df, self.batch_size, shuffle=self.shuffle, seed=seed,
                            drop_last=self.drop_last, format="torch", _part=part)

    def __len__(self) -> int:
        """The number of batches an epoch gives (over all workers)."""
        n = self.df.height
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __repr__(self) -> str:
        return (f"TorchDataset({self.df.height} rows x {self.df.width} columns, batch_size="
                f"{self.batch_size}, shuffle={self.shuffle}, seed={self.seed})")
