"""weft.Pipeline, encoder files (JSON, atomic save, load_encoder) and pickle, unfitted and
bad-argument errors, and encoders' transforms collected on a device; the references are
the encoders applied one by one, as test_encoders.py checks them."""

import json
import os
import pickle

import numpy as np
import pytest

import weft
from test_encoders import cat_table, numeric_table, weft_nan

# ---------------------------------------------------------------------- Pipeline and files


def pipeline():
    return weft.Pipeline([weft.FillNull(["f64", "i32"], "median"), weft.Standardize(["f64", "i32", "f32"]),
                          weft.MinMax("u8"), weft.OneHot("s"), weft.Categorify("i"), weft.HashBucket("c", 50)])


def mixed_table(rng, n, seen=True):
    t = numeric_table(rng, n)
    c = cat_table(rng, n, seen).to_arrow()
    return t.append_column("s", c["s"]).append_column("i", c["i"]).append_column("c", c["s"])


def test_pipeline_fit_transform_equals_steps_in_turn(tmp_path):
    rng = np.random.default_rng(23)
    train, test = weft.from_arrow(mixed_table(rng, 999)), weft.from_arrow(mixed_table(rng, 500, False))
    p = pipeline()
    assert p.fit(train) is p
    got = p.transform(test)
    frame = train
    want = test
    for s in [weft.FillNull(["f64", "i32"], "median"), weft.Standardize(["f64", "i32", "f32"]),
              weft.MinMax("u8"), weft.OneHot("s"), weft.Categorify("i"), weft.HashBucket("c", 50)]:
        s.fit(frame)
        frame = s.transform(frame)
        want = s.transform(want)
    assert got.equals(want)
    assert p.fit_transform(train).equals(frame)
    lazy = p.transform(test.lazy())
    assert isinstance(lazy, weft.LazyFrame) and lazy.collect().equals(got)

    path = tmp_path / "prep.json"
    p.save(path)
    assert os.listdir(tmp_path) == ["prep.json"]  # the temporary file was renamed
    assert json.loads(path.read_text())["type"] == "Pipeline"
    loaded = weft.load_encoder(path)
    assert loaded.transform(test).equals(got)
    assert pickle.loads(pickle.dumps(p)).transform(test).equals(got)


@pytest.mark.parametrize("enc", [weft.Standardize("x"), weft.MinMax("x", (2, 3)), weft.FillNull("x", value=1.5),
                                 weft.OneHot("s", drop="first"), weft.Categorify("s", 2), weft.HashBucket("s", 9)])
def test_each_encoder_saves_and_pickles(tmp_path, enc):
    df = weft.DataFrame({"x": [1.0, None, 4.0, 4.0], "s": ["a", "b", "b", None]})
    assert enc.fit(df) is enc
    want = enc.fit_transform(df)
    enc.save(tmp_path / "e.json")
    assert weft.load_encoder(tmp_path / "e.json").transform(df).equals(want)
    assert pickle.loads(pickle.dumps(enc)).transform(df).equals(want)
    assert repr(weft.load_encoder(tmp_path / "e.json")) == repr(enc)


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    enc = weft.Standardize("x").fit(weft.DataFrame({"x": [1.0, 2.0]}))
    path = tmp_path / "e.json"
    enc.save(path)
    before = path.read_text()

    def broken(*args):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(weft.WeftIOError, match="disk full"):
        weft.Standardize("x").fit(weft.DataFrame({"x": [5.0, 9.0]})).save(path)
    assert path.read_text() == before and os.listdir(tmp_path) == ["e.json"]


def test_load_rejects_other_files(tmp_path):
    (tmp_path / "a.json").write_text("{not json")
    (tmp_path / "b.json").write_text(json.dumps({"format": "weft.encoder", "version": 1, "type": "Nope",
                                                 "params": {}, "state": None}))
    with pytest.raises(weft.CorruptError, match=r"weft\.load_encoder\(.*a\.json.*not JSON"):
        weft.load_encoder(tmp_path / "a.json")
    with pytest.raises(weft.CorruptError, match="unknown encoder type 'Nope'"):
        weft.load_encoder(tmp_path / "b.json")


# ---------------------------------------------------------------------- errors


def test_unfitted_transform_errors():
    df = weft.DataFrame({"x": [1.0]})
    with pytest.raises(weft.NotFittedError, match=r"weft\.Standardize\(\['x'\]\)\.transform: .*not fitted"):
        weft.Standardize("x").transform(df)
    with pytest.raises(weft.NotFittedError, match=r"weft\.Pipeline\.transform: step 1"):
        p = weft.Pipeline([weft.FillNull("x"), weft.MinMax("x")])
        p.steps[0].fit(df)
        p.transform(df)


def test_bad_columns_name_the_call_and_value():
    df = weft.DataFrame({"x": [1.0], "s": ["a"]})
    with pytest.raises(weft.InvalidArgumentError, match=r"weft\.Standardize\(\['nope'\]\)\.fit: unknown column 'nope'"):
        weft.Standardize("nope").fit(df)
    with pytest.raises(weft.InvalidArgumentError, match=r"weft\.Standardize\(\['s'\]\)\.fit: column 's' is utf8"):
        weft.Standardize("s").fit(df)
    with pytest.raises(weft.InvalidArgumentError, match=r"weft\.OneHot\(\['x'\]\)\.fit: column 'x' is float64"):
        weft.OneHot("x").fit(df)
    fitted = weft.MinMax("x").fit(df)
    with pytest.raises(weft.InvalidArgumentError, match=r"weft\.MinMax\(\['x'\]\)\.transform: unknown column 'x'"):
        fitted.transform(weft.DataFrame({"y": [1.0]}))
    with pytest.raises(weft.InvalidArgumentError, match=r"columns.*\[\]"):
        weft.Standardize([])
    with pytest.raises(weft.InvalidArgumentError, match=r"feature_range.*\(1, 0\)"):
        weft.MinMax("x", feature_range=(1, 0))
    with pytest.raises(weft.InvalidArgumentError, match=r"strategy='mode'"):
        weft.FillNull("x", strategy="mode")
    with pytest.raises(weft.InvalidArgumentError, match=r"handle_unknown='warn'"):
        weft.OneHot("s", handle_unknown="warn")


# ---------------------------------------------------------------------- devices


@pytest.mark.parametrize("device", ["opencl:0", "cuda:0"])
def test_transform_runs_on_a_device(device):
    from device_skip import require

    require(device)
    rng = np.random.default_rng(29)
    train, test = mixed_table(rng, 3000), mixed_table(rng, 70_001)
    p = weft.Pipeline([weft.Standardize(["f64", "i32"]), weft.MinMax("u8"), weft.HashBucket("i", 64)])
    lf = p.fit(weft.from_arrow(train)).transform(weft.from_arrow(test).lazy())
    cpu = lf.collect(device="cpu")
    dev = lf.collect(device=device, strict=True)
    assert device in weft.last_report()
    for c in ["f64", "i32", "u8"]:
        np.testing.assert_allclose(weft_nan(dev, c), weft_nan(cpu, c), rtol=1e-12, equal_nan=True)
    assert dev["i"].to_list() == cpu["i"].to_list()

