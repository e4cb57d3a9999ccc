"""The README's first command, `python -m nn.demo`, end to end in a temporary directory:
it exits 0, the model file reloads into a fresh model with the accuracy it printed,
the loss plot is a PNG and the graph an SVG (or, without Graphviz, DOT text and a hint)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
import nn

for _needed in ("sklearn", "matplotlib", "tqdm"):
    pytest.importorskip(_needed)

from nn import demo  # noqa: E402  (after the skips: it needs the demo extra at run time)

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nn.demo", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """One run of 2 epochs writing into a fresh directory."""
    cwd = tmp_path_factory.mktemp("demo")
    proc = _run("--epochs", "2", "--out", "out", cwd=cwd)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc, cwd / "out"


def _percent(pattern: str, text: str) -> float:
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not in output:\n{text}"
    return float(m.group(1)) / 100


def test_demo_trains_and_reloads_with_the_same_accuracy(demo_run):
    proc, out = demo_run
    acc = _percent(r"test accuracy (\d+\.\d+)%\n", proc.stdout)
    reloaded = _percent(r"reloaded into a fresh model: test accuracy (\d+\.\d+)%", proc.stdout)
    assert reloaded == acc and "(unchanged)" in proc.stdout
    assert acc > 0.85, proc.stdout                   # 2 epochs: well above chance (10%)
    assert "training" in proc.stderr and "44/44" in proc.stderr    # tqdm: 2 epochs x 22 batches

    # The saved file is safetensors, and a model rebuilt from it scores what was printed.
    model = demo.make_model()
    model.load_state_dict(nn.load(out / demo.MODEL_FILE))
    _, _, x_test, y_test = demo.load_data(seed=0)
    assert round(demo.accuracy(model, x_test, y_test), 4) == round(acc, 4)
    header_len = int.from_bytes((out / demo.MODEL_FILE).read_bytes()[:8], "little")
    assert b"0.weight" in (out / demo.MODEL_FILE).read_bytes()[8:8 + header_len]


def test_demo_writes_a_png_and_an_svg(demo_run):
    proc, out = demo_run
    png = (out / demo.PLOT_FILE).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    for name in (demo.MODEL_FILE, demo.PLOT_FILE):
        assert str(out / name) in proc.stdout          # says where it wrote everything
    if shutil.which("dot") is None:
        dot = out / f"{demo.GRAPH_NAME}.dot"
        assert dot.read_text().startswith("digraph") and "install Graphviz" in proc.stdout
        pytest.skip("Graphviz's dot is not installed: checked the DOT fallback only")
    svg = out / f"{demo.GRAPH_NAME}.svg"
    assert str(svg) in proc.stdout
    root = ET.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = "".join(root.itertext())
    for label in ("0.weight", "Conv2d", "BatchNorm2d", "MaxPool2d", "Linear", "CrossEntropy"):
        assert label in text


def test_without_graphviz_the_graph_is_dot_text_and_a_hint(tmp_path, monkeypatch):
    monkeypatch.setattr(demo.shutil, "which", lambda name: None)     # as if dot were missing
    ag.manual_seed(0)
    x = np.random.default_rng(0).random((4, 1, 8, 8), dtype=np.float32)
    path, hint = demo.write_graph(demo.make_model(), x, np.arange(4), tmp_path)
    assert path == tmp_path / "model_graph.dot" and "install Graphviz" in hint
    text = path.read_text()
    assert text.startswith("digraph") and "Conv2d" in text and "0.weight" in text


def test_help_and_bad_arguments(tmp_path):
    proc = _run("--help", cwd=tmp_path)
    assert proc.returncode == 0
    for option in ("--epochs", "--out", "--seed", "--lr", "--batch-size"):
        assert option in proc.stdout
    proc = _run("--epochs", "0", cwd=tmp_path)
    assert proc.returncode == 2 and "--epochs must be at least 1" in proc.stderr
    assert not (tmp_path / "tapegrad-demo").exists()
