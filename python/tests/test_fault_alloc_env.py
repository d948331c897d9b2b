"""WEFT_FAULT_ALLOC=N (host/core/fault_inject.h, read when libweft loads) from Python: the Nth
allocation of libweft fails, and the Python call raises weft.OutOfMemoryError (a MemoryError)
with a message naming what failed, never a crash; the same work then succeeds. The C sweeps
(tests/faults/) fail every allocation of each operation in turn; this checks the Python side
of the switch and of the errors."""

import os
import subprocess
import sys

import pytest

SCRIPT = r"""
import numpy as np
import weft


def work():
    df = weft.DataFrame({"k": np.arange(5000) % 37, "v": np.arange(5000) * 0.5,
                         "s": [f"s{i % 11}" for i in range(5000)]})
    df.filter(weft.col("v") > 100.0).select((weft.col("v") * 2).alias("w"))
    return df.group_by("k").agg(weft.col("v").sum()).sort("k")


failed = None
try:
    work()
except MemoryError as e:
    assert isinstance(e, weft.OutOfMemoryError), type(e)
    assert str(e), "an error with no message"
    failed = str(e)
# The fault fires once: the same work now gives the right answer.
want = [sum(0.5 * i for i in range(5000) if i % 37 == k) for k in range(37)]
assert work()["v"].to_list() == want
print("FAILED:" + failed if failed else "OK")
"""


def run_with(n):
    env = dict(os.environ, WEFT_FAULT_ALLOC=str(n))
    return subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("n", [1, 7, 40])
def test_the_nth_allocation_fails_cleanly(n):
    proc = run_with(n)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout.strip().splitlines()[-1]
    assert out.startswith("FAILED:"), f"N={n}: no allocation failed ({out})"
    assert "memory" in out.lower(), out
