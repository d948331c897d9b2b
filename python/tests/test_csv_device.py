"""weft.read_csv on OpenCL and CUDA: read_csv(device=, strict=True) equals the CPU's read_csv
and Polars' read_csv (as test_join_csv.py compares them) on random files of every type with
nulls, NaN, quoted text holding delimiters, quotes and line breaks, with options (separator,
no header, null strings, CRLF, blank lines, overrides), on floats only strtod gives exactly,
and fails on malformed files with the CPU's error (line and column); the report and
last_device name the device; a device weft did not find is skipped with the backend's
reason."""

import pytest

import weft

pl = pytest.importorskip("polars")
import polars.testing as plt  # noqa: E402

from polars_view import to_polars  # noqa: E402
from test_join_csv import random_frame  # noqa: E402

DEVICE_IDS = ["opencl:0", "cuda:0"]


def require(device_id):
    if device_id not in [d.id for d in weft.devices()]:
        kind = device_id.split(":")[0]
        reason = next((b.reason for b in weft.backends() if b.name == kind), "unknown backend")
        pytest.skip(f"device {device_id} absent: {reason or 'no device'}")


def read_both(device, path, **options):
    """The device's frame (strict: no fallback) after checking its report, and the CPU's."""
    got = weft.read_csv(path, device=device, strict=True, **options)
    report = weft.last_report()
    assert f"{device}: records split and parsed on the device" in report, report
    assert weft.last_device() == device
    return to_polars(got), to_polars(weft.read_csv(path, device="cpu", **options))


@pytest.mark.parametrize("device", DEVICE_IDS)
@pytest.mark.parametrize("n", [0, 1, 7, 3000, 70001])
def test_device_read_csv_matches_cpu_and_polars(rng, tmp_path, device, n):
    require(device)
    frame = random_frame(rng, n)
    path = tmp_path / "in.csv"
    frame.write_csv(path)
    got, cpu = read_both(device, path)
    plt.assert_frame_equal(got, cpu)
    if n == 0:  # header only: every column is text, as Polars
        return
    plt.assert_frame_equal(got, pl.read_csv(path, try_parse_dates=True))
    if n >= 100:  # a few rows may leave a column all null, which both read as text
        plt.assert_frame_equal(got, frame)


@pytest.mark.parametrize("device", DEVICE_IDS)
def test_device_read_csv_options(tmp_path, device):
    require(device)
    path = tmp_path / "opts.csv"
    body = b"".join(b"%03d;NA;x\r\n%03d;-;\"y;z\"\"\"\r\n\r\n%03d;4;\r\n" % (i, i, i) for i in range(40000))
    path.write_bytes(body)
    opts = dict(separator=";", has_header=False, null_values=["NA", "-"],
                schema_overrides={"column_1": pl.String, "column_2": pl.Int16})
    got, cpu = read_both(device, path, **opts)
    plt.assert_frame_equal(got, cpu)
    want = pl.read_csv(path, separator=";", has_header=False, null_values=["NA", "-"],
                       new_columns=["column_1", "column_2", "column_3"],
                       schema_overrides={"column_1": pl.String, "column_2": pl.Int16})
    plt.assert_frame_equal(got, want)  # a blank line is a row of nulls, as Polars reads it here


@pytest.mark.parametrize("device", DEVICE_IDS)
def test_device_read_csv_hard_floats(tmp_path, device):
    require(device)
    hard = ["0.1e-320", "12345678901234567", "1.2345678901234567890123", "1e23", "4.9e-324",
            "9007199254740993", "0.30000000000000004", "2.5", "-0.0", "nan", "-inf"]
    path = tmp_path / "floats.csv"
    path.write_text("x\n" + "".join(hard[i % len(hard)] + "\n" for i in range(100000)))
    got, cpu = read_both(device, path)
    plt.assert_frame_equal(got, cpu)
    plt.assert_frame_equal(got, pl.read_csv(path, schema_overrides={"x": pl.Float64}))
    # bit for bit, the strtod ones included
    assert got["x"].to_numpy().view("u8").tolist() == cpu["x"].to_numpy().view("u8").tolist()


@pytest.mark.parametrize("device", DEVICE_IDS)
def test_device_read_csv_errors_are_the_cpus(tmp_path, device):
    require(device)
    good = "".join(f"{i},{i * 0.5},s\n" for i in range(70000))
    bad = tmp_path / "bad.csv"
    for text in ["a,b,c\n" + good + "1,2\n",
                 "a,b,c\n" + good + "1,x,3\n" + good,
                 "a,b,c\n" + good + '1,2,"q"x\n',
                 'a,b,c\n1,2,"open\n' + good]:
        bad.write_text(text)
        with pytest.raises(weft.CorruptError) as on_cpu:
            weft.read_csv(bad, device="cpu")
        with pytest.raises(weft.CorruptError) as on_device:
            weft.read_csv(bad, device=device, strict=True)
        assert str(on_device.value) == str(on_cpu.value)
        assert "line " in str(on_cpu.value)
