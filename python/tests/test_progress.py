"""weft.config.progress: a tqdm bar on long work only, silenced by an option, a function
instead of the bar (whose true result cancels), and Ctrl-C stopping the work with its inputs
unchanged (KeyboardInterrupt)."""

import os
import signal
import threading

import numpy as np
import polars as pl
import pytest
import tqdm  # noqa: F401  (tools/setup.sh installs it: the bars are its)

import weft

ROWS = 3_000_000


@pytest.fixture(autouse=True)
def restore_config():
    yield
    weft.config.progress = "auto"
    weft.config.progress_delay = 1.0


@pytest.fixture(scope="module")
def big():
    rng = np.random.default_rng(5)
    return weft.DataFrame({"k": rng.integers(0, 1_000_000, ROWS), "v": rng.random(ROWS)})


def record():
    calls = []
    weft.config.progress = lambda what, done, total: calls.append((what, done, total))
    weft.config.progress_delay = 0  # a callback at every step, whatever the machine's speed
    return calls


def check_protocol(calls, what):
    assert calls, f"{what}: no progress reported"
    assert {c[0] for c in calls} == {what}
    for (_, d0, t0), (_, d1, t1) in zip(calls, calls[1:]):
        assert d1 >= d0 and t1 >= t0
    assert all(d < t for _, d, t in calls[:-1])
    assert calls[-1][1] == calls[-1][2] > 0


def test_sort_reports_its_rows_then_the_end(big):
    calls = record()
    out = big.sort("k")
    check_protocol(calls, "sort")
    assert len(calls) >= 3
    assert out.to_polars().equals(big.to_polars().sort("k", maintain_order=True))


def test_every_wired_call_reports(big, tmp_path):
    calls = record()
    big.group_by("k").agg(weft.col("v").sum())
    check_protocol(calls, "group_by")
    calls.clear()
    right = weft.DataFrame({"k": np.arange(1_000_000), "w": np.arange(1_000_000) * 2})
    big.join(right, on="k")
    check_protocol(calls, "join")
    calls.clear()
    big.lazy().sort("k").collect()
    check_protocol(calls, "collect")
    calls.clear()
    path = tmp_path / "t.csv"
    pl.DataFrame({"a": np.arange(600_000), "b": np.arange(600_000) % 7}).write_csv(path)
    assert weft.read_csv(str(path)).height == 600_000
    check_protocol(calls, "read_csv")
    x = np.random.default_rng(1).standard_normal((200_000, 16), dtype=np.float32)
    for what, run in [
        ("kmeans", lambda: weft.kmeans(x, 64, niter=4)),
        ("index add", lambda: weft.FlatIndex(16).add(x)),
    ]:
        calls.clear()
        run()
        check_protocol(calls, what)
    ivf = weft.IVFIndex(16, 64)
    calls.clear()
    ivf.train(x, niter=4)
    check_protocol(calls, "ivf train")
    calls.clear()
    ivf.add(x)
    check_protocol(calls, "ivf add")
    calls.clear()
    ivf.search(x[:4096], 10, nprobe=8)
    check_protocol(calls, "ivf search")
    flat = weft.FlatIndex(16)
    flat.add(x)
    calls.clear()
    flat.search(x[:8192], 10)
    check_protocol(calls, "knn search")


def test_a_bar_on_long_work(big, capsys, monkeypatch):
    monkeypatch.setattr(weft.progress, "_watched", lambda: True)  # as on a terminal
    weft.config.progress = "auto"
    weft.config.progress_delay = 0
    big.sort("k")
    err = capsys.readouterr().err
    assert "weft sort" in err


def test_auto_leaves_an_unwatched_stderr_alone_and_true_does_not(big, capsys):
    weft.config.progress_delay = 0
    weft.config.progress = "auto"  # pytest's captured stderr is no terminal, nor a kernel
    assert not weft.progress._watched()
    big.sort("k")
    assert capsys.readouterr().err == ""
    weft.config.progress = True
    big.sort("k")
    assert "weft sort" in capsys.readouterr().err


def test_short_work_prints_nothing(capsys):
    weft.config.progress = True
    small = weft.DataFrame({"k": np.arange(1000)[::-1], "v": np.arange(1000)})
    small.sort("k")
    small.group_by("k").agg(weft.col("v").sum())
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_the_option_silences_it(big, capsys):
    weft.config.progress = False
    weft.config.progress_delay = 0
    big.sort("k")
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_a_true_result_cancels_with_the_input_unchanged(big):
    before = big.to_polars()
    weft.config.progress = lambda what, done, total: True
    weft.config.progress_delay = 0
    with pytest.raises(weft.CancelledError, match=r"^DataFrame\.sort: cancelled by the progress"):
        big.sort("k")
    with pytest.raises(weft.CancelledError, match=r"^IVFIndex\.train: cancelled"):
        ivf = weft.IVFIndex(8, 16)
        ivf.train(np.random.default_rng(2).standard_normal((100_000, 8), dtype=np.float32))
    assert not ivf.is_trained
    flat = weft.FlatIndex(8)
    with pytest.raises(weft.CancelledError, match=r"^FlatIndex\.add: cancelled"):
        flat.add(np.ones((300_000, 8), dtype=np.float32))
    assert len(flat) == 0
    assert big.to_polars().equals(before)
    weft.config.progress = "auto"
    assert big.sort("k").height == ROWS  # the next call runs


def test_keyboard_interrupt_in_the_callback_cancels(big):
    def interrupt(what, done, total):
        raise KeyboardInterrupt

    weft.config.progress = interrupt
    weft.config.progress_delay = 0
    with pytest.raises(KeyboardInterrupt):
        big.sort("k")
    weft.config.progress = "auto"
    assert big.sort("k").height == ROWS


def test_ctrl_c_stops_long_work(big):
    weft.config.progress = False
    weft.config.progress_delay = 0  # called at every step: the interrupt is seen at once
    timer = threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            for _ in range(50):  # the signal lands inside one of them
                big.sort("k")
    finally:
        timer.cancel()
    assert big.sort("k").height == ROWS


def test_ctrl_c_elsewhere_is_still_keyboard_interrupt(big):
    big.sort("k")  # weft's handler is in place from the first call on the main thread
    assert signal.getsignal(signal.SIGINT) is weft.progress._on_sigint
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)
        for _ in range(1000):  # the handler runs at the next instruction
            pass


def test_other_threads_report_too(big):
    calls = record()
    seen = []
    t = threading.Thread(target=lambda: seen.append(big.sort("k").height))
    t.start()
    t.join()
    assert seen == [ROWS]
    check_protocol(calls, "sort")


def test_bad_settings():
    with pytest.raises(ValueError, match=r"weft\.config\.progress: expected"):
        weft.config.progress = "yes"
    with pytest.raises(ValueError, match=r"weft\.config\.progress_delay: expected seconds"):
        weft.config.progress_delay = -1
    weft.set_progress(False)
    assert weft.config.progress is False
