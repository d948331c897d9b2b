"""Every ```python block of the README runs as written (its sizes made small); a block that
only illustrates says so with an `<!-- illustrative -->` line just above it."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
ILLUSTRATIVE = "<!-- illustrative -->"
# the README's sizes are a user's; the test's are small (same shapes of code)
SMALLER = {"10_000_000": "10_000", "200_000": "2_000"}


def _python_blocks(text):
    """(line number, code, illustrative) for each ```python block."""
    blocks = []
    for m in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M):
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        blocks.append((text.count("\n", 0, m.start()) + 1, m.group(1), before.strip() == ILLUSTRATIVE))
    return blocks


def _runnable():
    if not README.exists():
        return []
    return [(line, code) for line, code, illustrative in _python_blocks(README.read_text())
            if not illustrative]


def test_readme_has_runnable_python():
    if not README.exists():
        pytest.skip("README.md is not beside the tests")
    assert _runnable(), "no runnable ```python block in README.md"


@pytest.mark.parametrize("line, code", _runnable(), ids=lambda v: f"line{v}" if isinstance(v, int) else "")
def test_readme_python_block_runs(line, code, tmp_path, monkeypatch):
    pytest.importorskip("pyarrow")
    pytest.importorskip("pandas")
    for big, small in SMALLER.items():
        code = code.replace(big, small)
    monkeypatch.chdir(tmp_path)  # files the example writes (out.parquet) land here
    namespace = {}
    exec(compile(code, f"README.md (line {line})", "exec"), namespace)  # noqa: S102
    if "big" in namespace:  # the Using it example: what it shows holds
        assert namespace["big"].ntotal == namespace["xb"].shape[0]
        assert namespace["D"].shape == (100, 10)
        assert (tmp_path / "out.parquet").exists()


def test_blocks_are_found_and_marked():
    text = "a\n```python\nx = 1\n```\n<!-- illustrative -->\n```python\ny = z\n```\n"
    assert _python_blocks(text) == [(2, "x = 1\n", False), (6, "y = z\n", True)]


def test_an_undefined_name_fails_the_block(tmp_path, monkeypatch):
    # the defect this file exists for: big.add(xb, copy=False) with xb never defined
    with pytest.raises(NameError):
        test_readme_python_block_runs(1, "import weft\nbig = weft.FlatIndex(dim=4)\nbig.add(xb, copy=False)\n",
                                      tmp_path, monkeypatch)


def test_readme_says_what_a_new_user_asked():
    if not README.exists():
        pytest.skip("README.md is not beside the tests")
    text = " ".join(README.read_text().split())
    # CUDA: not claimed to run until it has on hardware
    assert "never run on a GPU" in text and "untested on hardware" in text
    assert "Every table operation runs on the CPU, OpenCL and CUDA" not in text
    # the two commands: how long, into which Python, and the virtual environment
    assert "Tens of minutes" in text and "about 8 minutes" not in text
    assert "externally-managed-environment" in text and ".venv" in text
    assert "tools/setup.sh --print-python" in text and "source .venv/bin/activate" in text
