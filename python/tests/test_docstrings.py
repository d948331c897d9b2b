"""What the docstrings promise, checked against what the calls do."""

import numpy as np
import pytest

import weft


@pytest.mark.parametrize("metric, pad", [("l2", np.inf), ("ip", -np.inf), ("cosine", -np.inf)])
def test_search_docstring_says_squared_and_padding(metric, pad):
    doc = weft.FlatIndex.search.__doc__
    assert "squared" in doc and "-1" in doc and "inf" in doc, doc
    index = weft.FlatIndex(2, metric)
    index.add(np.array([[1, 0], [0, 1]], dtype=np.float32))
    D, I = index.search(np.array([[3, 4]], dtype=np.float32), k=4)
    assert I[0, 2:].tolist() == [-1, -1] and D[0, 2:].tolist() == [pad, pad]
    if metric == "l2":
        assert D[0, :2].tolist() == [18.0, 20.0]  # squared: 3**2 + 3**2, 4**2 + 2**2
