"""torch for the tests that exercise it (DLPack identity, format="torch", the DataLoader
wrapper, the notebook's training loop). tools/test.sh installs torch and sets
WEFT_REQUIRE_TORCH=1, so in CI a torch that cannot be imported fails these tests instead of
skipping them; elsewhere they skip with the reason."""

import os

import pytest


def import_torch():
    if os.environ.get("WEFT_REQUIRE_TORCH") == "1":
        import torch  # noqa: PLC0415 (an ImportError here is the failure CI must see)
        return torch
    return pytest.importorskip("torch", reason="torch is not installed (tools/test.sh installs it)")


def torch_required() -> bool:
    return os.environ.get("WEFT_REQUIRE_TORCH") == "1"
