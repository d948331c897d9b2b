"""Skipping a test whose device is absent, with the backend's reason (never a silent pass)."""

import pytest

import weft


def require(device_id):
    if device_id not in [d.id for d in weft.devices()]:
        kind = device_id.split(":")[0]
        reason = next((b.reason for b in weft.backends() if b.name == kind), "unknown backend")
        pytest.skip(f"device {device_id} absent: {reason or 'no device'}")
