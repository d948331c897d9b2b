"""The package's shape (issue 10): helpers deal in handles and never import frame.py back,
one handle-owning pattern (weakref.finalize), a typed public API."""

import ast
import gc
import inspect
from pathlib import Path

import pytest

import weft

PKG = Path(weft.__file__).parent
HELPERS = ["_args.py", "_group.py", "_join.py", "_select.py", "_csv.py", "lazy.py", "_series_ops.py"]


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            yield (node.module or "", [a.name for a in node.names], node.level)
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield (a.name, [], 0)


@pytest.mark.parametrize("name", HELPERS)
def test_helpers_do_not_import_frame(name):
    for module, names, level in _imports(PKG / name):
        assert not (level and module == "frame"), f"{name} imports .frame"
        assert not (level and module == "" and "frame" in names), f"{name} imports frame"
        assert module != "weft.frame", name


def test_no_del_methods_own_handles():
    for path in PKG.glob("*.py"):
        assert "def __del__" not in path.read_text(), path.name


def test_dataframe_frees_its_table_through_a_finalizer():
    df = weft.DataFrame({"a": [1, 2, 3]})
    finalizer = df._finalizer
    assert finalizer.alive
    del df
    gc.collect()
    assert not finalizer.alive


PUBLIC = [
    weft.DataFrame.select, weft.DataFrame.filter, weft.DataFrame.group_by, weft.DataFrame.sort,
    weft.DataFrame.join, weft.DataFrame.drop, weft.DataFrame.rename, weft.DataFrame.slice,
    weft.DataFrame.describe, weft.Series.to_numpy, weft.Series.null_count,
    weft.LazyFrame.filter, weft.LazyFrame.collect, weft.LazyFrame.explain, weft.LazyFrame.join,
    weft.read_csv, weft.from_arrow, weft.concat, weft.read_parquet, weft.col, weft.lit,
    weft.axpy, weft.sum, weft.reduce, weft.devices, weft.backends, weft.last_report,
    weft.DataFrame.iter_batches, weft.DataFrame.sample, weft.DataFrame.shuffle,
    weft.DataFrame.to_numpy, weft.DataFrame.to_torch, weft.train_test_split, weft.from_dlpack,
    weft.from_pandas, weft.from_polars,
]


@pytest.mark.parametrize("fn", PUBLIC, ids=lambda f: f.__qualname__)
def test_public_api_is_annotated(fn):
    sig = inspect.signature(fn)
    assert sig.return_annotation is not inspect.Signature.empty, fn.__qualname__
    for p in sig.parameters.values():
        if p.name != "self":
            assert p.annotation is not inspect.Parameter.empty, (fn.__qualname__, p.name)


def test_py_typed_ships():
    assert (PKG / "py.typed").exists()


def test_flat_index_frees_its_index_through_a_finalizer():
    import numpy as np

    index = weft.FlatIndex(dim=4)
    xb = np.arange(32, dtype=np.float32).reshape(8, 4)
    index.add(xb, copy=False)
    finalizer = index._finalizer
    assert finalizer.alive
    del index
    import gc

    gc.collect()
    assert not finalizer.alive
    assert xb.flags.writeable  # the borrow was released with the index
