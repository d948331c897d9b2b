"""Limits that need more memory than CI has (about 7 GB): marked long, run with
`pytest -m long`. The cheap ones (concat, take, join past utf8's 32-bit offsets, 2^32
vectors, a 3-billion-row count) are in tests/test_limits.cc and run everywhere."""
import pytest

import weft


# Each reads a 2.3 GB file into memory and copies its text: about 5 GB.
@pytest.mark.long
@pytest.mark.parametrize("records, size, says", [
    (2200, 1 << 20, 'column "s" holds more than 2 GiB of text in one chunk'),
    # three chunks of 64k records, each under 2 GiB, together over it
    (140_000, 16 << 10, 'column "s" holds 2293760000 bytes of text, more than the 2 GiB'),
])
def test_read_csv_refuses_more_than_2_gib_of_strings_in_a_column(tmp_path, records, size, says):
    # a sparse file of records of NUL bytes (valid UTF-8 text): holes on disk
    path = tmp_path / "big.csv"
    with open(path, "wb") as f:
        f.write(b"s\n")
        for _ in range(records):
            f.seek(size, 1)
            f.write(b"\n")
    with pytest.raises(weft.WeftError) as e:
        weft.read_csv(str(path))
    msg = str(e.value)
    assert msg.startswith("weft.read_csv"), msg
    assert says in msg, msg
