"""tools/setup.sh's choice of Python: a Python that refuses pip installs as externally
managed (PEP 668, Debian's system Python) gets a virtual environment in .venv instead."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

SETUP = Path(__file__).resolve().parents[2] / "tools" / "setup.sh"

pytestmark = pytest.mark.skipif(not SETUP.exists(), reason="tools/setup.sh is not beside the tests")


def _print_python(python, **env):
    out = subprocess.run(
        ["bash", str(SETUP), "--print-python"],
        env=dict(os.environ, PYTHON=str(python), **env),
        check=True, capture_output=True, text=True,
    )
    return out.stdout.strip()


def _managed_python(tmp_path):
    """A python3 whose pip refuses installs as Debian's does; anything else runs Python."""
    fake = tmp_path / "python3"
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = -m ] && [ "$2" = pip ]; then\n'
        '  echo "error: externally-managed-environment" >&2; exit 1\n'
        "fi\n"
        f'exec "{sys.executable}" "$@"\n'
    )
    fake.chmod(0o755)
    return fake


def test_a_python_pip_accepts_is_used_as_given():
    if "externally-managed" in subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--no-index", "-q", "pip"],
        capture_output=True, text=True,
    ).stderr:
        pytest.skip("this Python is externally managed")
    assert _print_python(sys.executable) == f"{sys.executable} (as given)"


def test_an_externally_managed_python_gets_a_venv(tmp_path):
    out = _print_python(_managed_python(tmp_path))
    assert out.startswith(str(SETUP.parents[1] / ".venv" / "bin" / "python")), out
    assert "externally managed" in out, out


def test_break_system_packages_is_opt_in(tmp_path):
    out = _print_python(_managed_python(tmp_path), WEFT_BREAK_SYSTEM_PACKAGES="1")
    assert out.startswith(str(tmp_path / "python3")), out
    assert "--break-system-packages" in out, out
