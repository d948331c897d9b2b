"""TPC-H tables as Parquet files, made once per scale factor by tpchgen-cli (a Rust dbgen,
pip install tpchgen-cli) into <root>/sf<SF>/<table>.parquet. Money columns are
decimal(15,2), strings string_view, dates date32. A float64 copy (money columns cast to
double) is made beside it on request, for engines or builds without decimals."""

import os
import shutil
import subprocess
import sysconfig
import tempfile

from . import TABLES


def tpchgen():
    """The tpchgen-cli executable: on PATH, else in this Python's scripts folder (where pip
    puts it in a virtual environment that is not activated)."""
    exe = shutil.which("tpchgen-cli")
    if exe:
        return exe
    cand = os.path.join(sysconfig.get_path("scripts"), "tpchgen-cli")
    if os.access(cand, os.X_OK):
        return cand
    raise FileNotFoundError("tpchgen-cli not found: pip install tpchgen-cli (tools/setup.sh does)")


def sf_name(sf):
    return f"sf{sf:g}"


def complete(folder):
    return all(os.path.exists(os.path.join(folder, f"{t}.parquet")) for t in TABLES)


def ensure(sf, root, money="decimal", threads=None):
    """The folder of the tables at scale factor sf (generated when absent; the files of a
    finished generation are moved into place at once, so an interrupted one leaves no
    partial folder). money="float64": the copy with money columns as double."""
    folder = os.path.join(root, sf_name(sf))
    if not complete(folder):
        os.makedirs(root, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=f".{sf_name(sf)}-", dir=root)
        cmd = [tpchgen(), "parquet", "-s", f"{sf:g}", "-o", tmp, "-q"]
        if threads:
            cmd += ["-n", str(threads)]
        subprocess.run(cmd, check=True)
        if os.path.exists(folder):
            shutil.rmtree(folder)
        os.rename(tmp, folder)
    if money == "decimal":
        return folder
    if money != "float64":
        raise ValueError(f"money must be 'decimal' or 'float64', got {money!r}")
    out = folder + "-float64"
    if not complete(out):
        import pyarrow as pa
        import pyarrow.parquet as pq

        tmp = tempfile.mkdtemp(prefix=f".{sf_name(sf)}-float64-", dir=root)
        for t in TABLES:
            table = pq.read_table(os.path.join(folder, f"{t}.parquet"))
            schema = pa.schema([pa.field(f.name, pa.float64(), f.nullable)
                                if pa.types.is_decimal(f.type) else f for f in table.schema])
            pq.write_table(table.cast(schema), os.path.join(tmp, f"{t}.parquet"))
        if os.path.exists(out):
            shutil.rmtree(out)
        os.rename(tmp, out)
    return out


def path(folder, table):
    return os.path.join(folder, f"{table}.parquet")
