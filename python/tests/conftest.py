import zlib

import numpy as np
import pytest

import weft

DEVICES = weft.devices()


def device_params():
    return [pytest.param(d, id=d.id) for d in DEVICES]


@pytest.fixture
def rng(request):
    # one seed per test, the same on every run
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


def pytest_report_header(config):
    lines = [f"weft {weft.__version__}: {weft.__file__}", f"libweft: {weft._lib.path}"]
    lines += [f"  {d!r}" for d in DEVICES]
    lines += [f"  {b!r}" for b in weft.backends() if not b.loaded]
    return lines
