#!/usr/bin/env python3
"""Writes the seed inputs of fuzz_frame_devices (the byte layout its LLVMFuzzerTestOneInput
and fuzz_table_gen.h read) into the folder given: each operation (sort, group_by, join) over
each column type, row counts around the device tiles (0, 1, 23, 1023, 1025, 4100), nulls,
specials, long strings and slices. Run by hand when the layout changes; the outputs are
committed under corpus/fuzz_frame_devices/ (with the inputs that found bugs)."""
import os
import struct
import sys

TYPES = ["int32", "int64", "float64", "utf8", "bool", "date32"]
SORT, GROUP_BY, JOIN = 0, 1, 2


def column(type_name, nulls, distinct_idx, special, long_str):
    """The two bytes of a column spec (gen_read_spec)."""
    return bytes([TYPES.index(type_name) + 6 * nulls,
                  distinct_idx | (special << 3) | (long_str << 5)])


def rows(n):
    """The row-count bytes (gen_read_rows)."""
    if n < 24:
        return bytes([n])
    if n < 1100:
        return bytes([100]) + struct.pack("<H", n)
    if n <= 4200:
        return bytes([200]) + struct.pack("<H", n)
    return bytes([250]) + struct.pack("<I", n - 4200)[:3]  # bit 23 clear: big


def table(op, cols, n, seed, skip=0):
    head = bytes([op + 3 * (len(cols) - 1)])
    slice_byte = bytes([195 + skip] if skip else [0])  # 195 = 13 * 15
    return head + b"".join(cols) + rows(n) + struct.pack("<I", seed) + slice_byte


def main(folder):
    os.makedirs(folder, exist_ok=True)
    seeds = {}
    sizes = [0, 1, 23, 1023, 1025, 4100]
    for i, t in enumerate(TYPES):
        for j, n in enumerate(sizes):
            cols = [column(t, (i + j) % 5, (i + 2 * j) % 8, j % 4, j % 2),
                    column(TYPES[(i + 1) % 6], 2, 4, 1, 0),
                    column("float64", 3, 6, 2, 0)]
            skip = 5 if j % 3 == 2 else 0
            # sort: three keys, mixed directions and null placement
            seeds[f"sort_{t}_{n}"] = table(SORT, cols, n, 11 * i + j, skip) + bytes(
                [2, (0 << 2) | 1, (1 << 2) | 2, (2 << 2) | 3])
            # group_by on the first one or two columns; sum, mean, min, max, count,
            # n_unique, first, last over the others
            aggs = [(0, 2), (1, 2), (2, 1), (3, 2), (4, 0), (5, 1), (8, 0), (9, 2)]
            seeds[f"group_{t}_{n}"] = table(GROUP_BY, cols, n, 13 * i + j, skip) + bytes(
                [0b011, 1 + j % 2, len(aggs) - 1] + [b for kc in aggs for b in kc])
            # join: each kind, one or two keys, the right side a few sizes
            kind = j % 4
            right = rows([0, 7, 300, 1500][(i + j) % 4])
            seeds[f"join_{t}_{n}_kind{kind}"] = table(JOIN, cols, n, 17 * i + j, skip) + bytes(
                [0b1, 0b10]) + right + struct.pack("<I", 5 * i + j) + bytes(
                [j % 2] + [0, 1][:1 + j % 2] + [kind])
    # no keys: the whole table one group (empty tables included)
    for n in (0, 5, 2000):
        seeds[f"group_nokeys_{n}"] = table(GROUP_BY, [column("int64", 2, 5, 1, 0),
                                                      column("utf8", 0, 3, 0, 0)], n, n) + bytes(
            [0, 0, 7, 8, 1, 9, 1, 9, 0, 0, 0, 2, 0, 3, 0, 5, 1, 10, 1])
    # past 2^16 rows: more device tiles and radix digits than one block holds
    big = [column("int64", 2, 6, 1, 0), column("utf8", 1, 5, 0, 0), column("float64", 3, 7, 2, 0)]
    seeds["sort_big_70000"] = table(SORT, big, 70000, 3) + bytes([1, (1 << 2) | 2, (0 << 2) | 1])
    seeds["group_big_66000"] = table(GROUP_BY, big, 66000, 4) + bytes(
        [0b11, 2, 5, 0, 2, 2, 2, 5, 0, 9, 1, 6, 2, 10, 0])
    seeds["join_big_70000"] = table(JOIN, big, 70000, 5) + bytes([0, 0]) + rows(3000) + \
        struct.pack("<I", 9) + bytes([0, 0, 1])
    for name, data in seeds.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    print(f"{len(seeds)} seeds in {folder}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                             "corpus", "fuzz_frame_devices"))
