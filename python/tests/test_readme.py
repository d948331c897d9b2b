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


def test_readme_says_what_a_new_user_asked():
    if not README.exists():
        pytest.skip("README.md is not beside the tests")
    text = " ".join(README.read_text().split())
    # CUDA: not claimed to run until it has on hardware
    assert "never run on a GPU" in text and "untested on hardware" in text
    assert "Every table operation runs on the CPU, OpenCL and CUDA" not in text
    # the two commands: how long, into which Python, and the virtual environment
    assert "about 8 minutes" in text
    assert "externally-managed-environment" in text and ".venv" in text
    assert "tools/setup.sh --print-python" in text
