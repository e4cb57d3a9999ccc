"""Demo: train a small CNN on scikit-learn's bundled digits (8x8 images, 10 classes).

    python -m nn.demo [--epochs 8] [--out tapegrad-demo] [--seed 0]

In one run: trains the CNN with a progress bar, prints the test accuracy, saves the
model (safetensors) and reloads it into a fresh model to check the accuracy is
unchanged, writes a plot of the training loss (PNG) and a picture of the model's
computation graph (SVG; without Graphviz's `dot`, the DOT text), and says where it
wrote them.  Everything goes through tapegrad's API: nn.Sequential of Conv2d,
BatchNorm2d, ReLU, MaxPool2d and Linear layers, F.cross_entropy, nn.data.DataLoader,
optim.Adam with a cosine schedule, nn.save/nn.load and autograd.draw_graph.  Needs
scikit-learn, matplotlib and tqdm (the `demo` extra: ``pip install ".[demo]"``).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np

import autograd as ag
import nn
import optim
from nn import functional as F

MODEL_FILE, PLOT_FILE, GRAPH_NAME = "digits_cnn.safetensors", "loss.png", "model_graph"
DOT_HINT = ("Graphviz's `dot` was not found, so the graph is DOT text; install Graphviz "
            "(apt-get install graphviz / brew install graphviz) and rerun for the SVG, or "
            "render it with `dot -Tsvg {path} -o model_graph.svg`.")


def _require(module: str, package: str) -> None:
    """Exit with an install hint when an optional dependency of the demo is missing."""
    import importlib.util
    if importlib.util.find_spec(module) is None:
        sys.exit(f"nn.demo needs {package}: pip install {package} (or pip install '.[demo]')")


def load_data(seed: int) -> tuple:
    """Digits as (N, 1, 8, 8) float32 images in [0, 1] and int64 labels; a stratified
    75/25 split: (x_train, y_train, x_test, y_test)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25,
                                                        random_state=seed, stratify=y)
    return x_train, y_train, x_test, y_test


def make_model() -> nn.Sequential:
    """Two conv-batchnorm-relu-pool stages (8 and 16 channels) and a linear classifier:
    (N, 1, 8, 8) -> (N, 8, 4, 4) -> (N, 16, 2, 2) -> (N, 10) logits."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 2 * 2, 10))


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of `x` classified as `y`, in eval mode (batch norm's running statistics)."""
    model.eval()
    with ag.no_grad():
        return float((model(ag.tensor(x)).data.argmax(1) == y).mean())


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, epochs: int, lr: float,
          batch_size: int, seed: int) -> list[float]:
    """Adam with a cosine schedule; returns the loss of every step.  A tqdm bar shows
    the epoch and the running loss."""
    from tqdm import tqdm
    opt = optim.Adam(model.parameters(), lr=lr)
    schedule = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    loader = nn.data.DataLoader(nn.data.TensorDataset(x, y), batch_size=batch_size,
                                shuffle=True, seed=seed)
    losses: list[float] = []
    with tqdm(total=epochs * len(loader), desc="training", unit="batch") as bar:
        for epoch in range(1, epochs + 1):
            model.train()
            for xb, yb in loader:
                loss = F.cross_entropy(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                losses.append(loss.item())
                bar.set_postfix_str(f"epoch {epoch}/{epochs}, loss {np.mean(losses[-20:]):.3f}",
                                    refresh=False)
                bar.update()
            schedule.step()
    return losses


def plot_losses(losses: list[float], steps_per_epoch: int, test_accuracy: float,
                path: Path) -> None:
    """The loss of every step and its mean per epoch, log scale, as a PNG."""
    import matplotlib
    matplotlib.use("Agg")          # files only: no display needed
    import matplotlib.pyplot as plt
    steps = np.arange(1, len(losses) + 1)
    epochs = len(losses) // steps_per_epoch
    means = np.asarray(losses[:epochs * steps_per_epoch]).reshape(epochs, -1).mean(1)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.semilogy(steps, losses, color="C0", alpha=0.35, lw=1, label="loss of each batch")
    ax.semilogy(np.arange(1, epochs + 1) * steps_per_epoch, means, "o-", color="C0",
                label="mean over the epoch")
    ax.set(xlabel="training step (batch)", ylabel="cross-entropy (log scale)",
           title=f"CNN on digits: training loss (test accuracy {test_accuracy:.2%})")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_graph(model: nn.Module, x: np.ndarray, y: np.ndarray,
                out: Path) -> tuple[Path, str | None]:
    """The graph of the loss on a few images, one cluster per layer, as SVG; without
    Graphviz's `dot`, the DOT text.  Returns (path written, hint or None).  Runs in eval
    mode, so batch norm's running statistics stay as trained."""
    model.eval()
    loss = F.cross_entropy(model(ag.tensor(x[:16])), ag.tensor(y[:16]))
    if shutil.which("dot") is None:
        path = out / f"{GRAPH_NAME}.dot"
        path.write_text(ag.to_dot(loss, params=model), encoding="utf-8")
        return path, DOT_HINT.format(path=path)
    graph = ag.draw_graph(loss, params=model)
    return Path(graph.render(out / GRAPH_NAME, format="svg", cleanup=True)), None


def main(argv: list[str] | None = None) -> int:
    """Run the demo; returns 0, or 1 if the reloaded model's accuracy differs."""
    ap = argparse.ArgumentParser(prog="python -m nn.demo",
                                 description=__doc__.split("\n\n")[0],
                                 epilog=__doc__.split("\n\n")[2].replace("\n", " "))
    ap.add_argument("--epochs", type=int, default=8, help="passes over the training set "
                    "(default 8)")
    ap.add_argument("--out", type=Path, default=Path("tapegrad-demo"),
                    help="directory for the model, the plot and the graph (default "
                         "./tapegrad-demo)")
    ap.add_argument("--lr", type=float, default=1e-2, help="Adam's learning rate (default 0.01)")
    ap.add_argument("--batch-size", type=int, default=64, help="mini-batch size (default 64)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the split, init and "
                    "shuffling (default 0)")
    args = ap.parse_args(argv)
    if args.epochs < 1:
        ap.error(f"--epochs must be at least 1, got {args.epochs}")
    for module, package in (("sklearn", "scikit-learn"), ("matplotlib", "matplotlib"),
                            ("tqdm", "tqdm")):
        _require(module, package)
    out: Path = args.out.resolve()    # say where files went in full
    out.mkdir(parents=True, exist_ok=True)

    x_train, y_train, x_test, y_test = load_data(args.seed)
    ag.manual_seed(args.seed)
    model = make_model()
    n_params = sum(p.numel() for p in model.parameters())
    print(f"digits: {len(y_train)} training / {len(y_test)} test images (8x8); "
          f"a CNN of {n_params:,} parameters:\n{model}", flush=True)

    start = time.perf_counter()
    losses = train(model, x_train, y_train, args.epochs, args.lr, args.batch_size, args.seed)
    acc = accuracy(model, x_test, y_test)
    print(f"trained {args.epochs} epochs in {time.perf_counter() - start:.1f} s; "
          f"test accuracy {acc:.2%}")

    model_path = out / MODEL_FILE
    nn.save(model.state_dict(), model_path)
    fresh = make_model()
    fresh.load_state_dict(nn.load(model_path))
    reloaded = accuracy(fresh, x_test, y_test)
    same = reloaded == acc
    print(f"saved to {model_path} and reloaded into a fresh model: test accuracy "
          f"{reloaded:.2%} ({'unchanged' if same else 'CHANGED'})")

    plot_path = out / PLOT_FILE
    plot_losses(losses, -(-len(y_train) // args.batch_size), acc, plot_path)
    graph_path, hint = write_graph(model, x_test, y_test, out)
    if hint:
        print(hint)
    print(f"wrote:\n  {model_path}  (the trained weights; nn.load or PyTorch's "
          f"safetensors reads them)\n  {plot_path}  (training loss)\n  {graph_path}  "
          f"(the model's computation graph)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
