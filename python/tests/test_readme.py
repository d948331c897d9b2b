"""The README's "Using it" example runs as written (its sizes made small)."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def _example():
    text = README.read_text()
    section = text.split("## Using it", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_example_runs(tmp_path, monkeypatch):
    if not README.exists():
        pytest.skip("README.md is not beside the tests")
    pytest.importorskip("pyarrow")
    pytest.importorskip("pandas")
    code = _example()
    code = code.replace("10_000_000", "10_000").replace("200_000", "2_000")
    monkeypatch.chdir(tmp_path)  # out.parquet lands here
    namespace = {}
    exec(compile(code, "README.md (Using it)", "exec"), namespace)  # noqa: S102
    assert namespace["big"].ntotal == namespace["xb"].shape[0]
    assert namespace["D"].shape == (100, 10)
    assert (tmp_path / "out.parquet").exists()
