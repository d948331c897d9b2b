"""Pipeline: encoders applied in order, each fitted on what the ones before it made."""

from __future__ import annotations

from typing import Any, Sequence

from ..errors import InvalidArgumentError
from ..frame import DataFrame
from ._base import Encoder, Frame, NotFittedError, as_frame, from_dict, register


@register
class Pipeline(Encoder):
    """``Pipeline([enc1, enc2, ...])``: fit fits enc1 on the data, then enc2 on enc1's
    transform of it, and so on; transform applies each in turn (a LazyFrame stays lazy, so
    the steps' expressions run in one collect). save / load_encoder keep every step."""

    def __init__(self, steps: Sequence[Encoder]) -> None:
        if not isinstance(steps, (list, tuple)) or not steps:
            raise InvalidArgumentError(f"weft.Pipeline: steps must be a non-empty list of encoders, "
                                       f"got {steps!r}")
        for s in steps:
            if not isinstance(s, Encoder):
                raise InvalidArgumentError(f"weft.Pipeline: steps must be weft encoders, got {s!r}")
        self.steps = list(steps)
        self.columns = None

    def _call(self, method: str) -> str:
        return "weft.Pipeline" if method == "__init__" else f"weft.Pipeline.{method}"

    def __repr__(self) -> str:
        return "weft.Pipeline([" + ", ".join(map(repr, self.steps)) + "])"

    @property
    def is_fitted(self) -> bool:
        return all(s.is_fitted for s in self.steps)

    @property
    def state(self):  # noqa: D102 - the steps carry the state
        return None

    @state.setter
    def state(self, value):
        pass

    def fit(self, data: Any) -> "Pipeline":
        """Fits each step on the output of the steps before it; returns the pipeline."""
        frame = as_frame(data, "weft.Pipeline.fit")
        # lazily: a step's fit collects only the columns it learns from, so the optimizer
        # drops the earlier steps' work on the other columns (OneHot after Standardize never
        # computes the standardized numbers)
        if isinstance(frame, DataFrame):
            frame = frame.lazy()
        for i, s in enumerate(self.steps):
            s.fit(frame)
            if i + 1 < len(self.steps):
                frame = s.transform(frame)
        return self

    def transform(self, data: Any) -> Frame:
        """Each step's transform in turn."""
        frame = as_frame(data, "weft.Pipeline.transform")
        for i, s in enumerate(self.steps):
            if not s.is_fitted:
                raise NotFittedError(f"weft.Pipeline.transform: step {i} ({s!r}) is not fitted; "
                                     "call fit(data) first")
        for s in self.steps:
            frame = s.transform(frame)
        return frame

    def fit_transform(self, data: Any) -> Frame:
        """fit(data), then the last step's transform of what fit made for it."""
        frame = as_frame(data, "weft.Pipeline.fit_transform")
        for s in self.steps:
            frame = s.fit(frame).transform(frame)
        return frame

    def params(self) -> dict:
        return {}

    def to_dict(self) -> dict:
        d = super().to_dict()
        d["steps"] = [s.to_dict() for s in self.steps]
        return d

    @classmethod
    def _from_dict(cls, d: dict) -> "Pipeline":
        steps = d.get("steps")
        if not isinstance(steps, list):
            raise KeyError("steps")
        return cls([from_dict(s, "weft.load_encoder") for s in steps])
