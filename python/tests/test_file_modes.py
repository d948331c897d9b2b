"""Files weft writes atomically (a temporary file renamed over the target) get the
permissions a plain open() would give: the umask's for a new file, the old file's own when
one is replaced; and a write into a missing folder names the call and the path."""
import os
import stat

import numpy as np
import pytest

import weft


def _writers(df, enc):
    return [("x.parquet", df.write_parquet), ("x.csv", df.write_csv), ("x.json", enc.save)]


def test_new_files_get_the_umask_and_replaced_files_keep_their_mode(tmp_path):
    df = weft.DataFrame({"a": np.arange(5, dtype=np.int64), "b": np.linspace(0, 1, 5)})
    enc = weft.encoders.Standardize(["b"]).fit(df)
    for name, write in _writers(df, enc):
        path = tmp_path / name
        old = os.umask(0o027)
        try:
            write(path)
        finally:
            os.umask(old)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o640, name
        os.chmod(path, 0o604)
        write(path)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o604, name
    assert sorted(os.listdir(tmp_path)) == ["x.csv", "x.json", "x.parquet"]  # no temporaries
    assert weft.read_csv(tmp_path / "x.csv")["a"].to_list() == list(range(5))
    assert weft.read_parquet(tmp_path / "x.parquet")["a"].to_list() == list(range(5))


def test_a_missing_folder_is_an_error_naming_the_path(tmp_path):
    df = weft.DataFrame({"a": np.arange(3, dtype=np.int64)})
    path = tmp_path / "no" / "such" / "x.csv"
    with pytest.raises(weft.WeftError, match="write_csv.*x.csv"):
        df.write_csv(path)
    assert not (tmp_path / "no").exists()
