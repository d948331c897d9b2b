"""examples/tour.ipynb, executed on a real Jupyter kernel (nbclient + ipykernel) as a new user
would run it: any cell that raises fails the test. Its rendered HTML is written to the
checkout's build/notebook/tour.html (CI's artifact)."""

import os
import pathlib

import nbclient  # tools/setup.sh installs nbclient, nbformat, ipykernel and nbconvert
import nbformat
from jupyter_client.kernelspec import NATIVE_KERNEL_NAME
from nbconvert import HTMLExporter
from torch_skip import torch_required

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "examples" / "tour.ipynb"


def test_tour_notebook_runs_every_cell(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # the kernel is this Python, so it imports the weft under test (installed, or the
    # checkout's through an absolute PYTHONPATH / WEFT_LIBRARY, which the kernel inherits)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name=NATIVE_KERNEL_NAME,
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "loss first/last batch" in text
    if torch_required():  # CI has torch: the loop must have trained through it
        assert "torch loss first/last batch" in text, text
    html, _ = HTMLExporter().from_notebook_node(nb)
    out = ROOT / "build" / "notebook"
    out.mkdir(parents=True, exist_ok=True)
    (out / "tour.html").write_text(html, encoding="utf-8")
    assert os.path.getsize(out / "tour.html") > 10_000
