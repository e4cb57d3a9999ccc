"""The tutorial notebooks run top to bottom in a real Jupyter kernel (nbclient +
ipykernel) and fail the run if any cell raises; the committed files are what
notebooks/build.py writes, with no outputs."""
from __future__ import annotations

import importlib.util
import shutil
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
for _needed in ("sklearn", "matplotlib", "tqdm"):      # what the notebooks import
    pytest.importorskip(_needed)

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
CELL_TIMEOUT = 120       # seconds; a whole notebook takes well under a minute on 2 cores


def _build_module():
    spec = importlib.util.spec_from_file_location("notebooks_build", NOTEBOOKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_notebooks_are_generated_and_stripped():
    build = _build_module()
    assert sorted(p.stem for p in PATHS) == sorted(build.NOTEBOOKS)
    for path in PATHS:
        text = path.read_text(encoding="utf-8")
        assert text == build.render(path.stem), (
            f"{path.name} differs from notebooks/build.py: run `python notebooks/build.py`")
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
        assert nb.cells[0].cell_type == "markdown" and "**What this shows:**" in nb.cells[0].source
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    # Plots render inline whatever MPLBACKEND the caller set; the kernel runs in a
    # scratch directory.
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as e:
        pytest.fail(f"{path.name}: a cell raised\n{e}", pytrace=False)
    elapsed = time.perf_counter() - start
    print(f"\n{path.name}: {elapsed:.1f} s")
    # Plots and graph pictures render inline: one picture per plt.show() and, when
    # Graphviz's `dot` is installed, per cell that ends in draw_graph(...).
    for cell in (c for c in nb.cells if c.cell_type == "code"):
        kinds = [k for o in cell.outputs for k in o.get("data", {})]
        if "plt.show()" in cell.source:
            assert kinds.count("image/png") == cell.source.count("plt.show()"), cell.source
        if cell.source.splitlines()[-1].startswith("ag.draw_graph(") and shutil.which("dot"):
            assert "image/svg+xml" in kinds, cell.source
