"""Regenerate the graph pictures in examples/ (and the README): a scalar expression
drawn micrograd style, a small classifier clustered by module, and a ResNet collapsed
to one box per block.

    python examples/graphs.py            # writes examples/{scalar,model,resnet}_graph.svg
    python examples/graphs.py --png DIR  # also PNG copies in DIR (for a quick look)

Needs Graphviz's `dot` (`apt-get install graphviz`).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import autograd as ag
import nn
from autograd.viz import record_graph

HERE = Path(__file__).resolve().parent


def scalar_graph() -> ag.viz.GraphPicture:
    """micrograd's neuron, o = tanh(x1 w1 + x2 w2 + b), after backward."""
    x1, x2 = ag.tensor(2.0, requires_grad=True), ag.tensor(0.0, requires_grad=True)
    w1, w2 = ag.tensor(-3.0, requires_grad=True), ag.tensor(1.0, requires_grad=True)
    b = ag.tensor(6.8813735870195432, requires_grad=True)
    with record_graph():     # keeps every value, and every gradient backward sends
        x1w1 = x1 * w1
        x2w2 = x2 * w2
        s = x1w1 + x2w2
        n = s + b
        o = ag.tanh(n)
    named = dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, x1w1=x1w1, x2w2=x2w2, s=s, n=n, o=o)
    o.backward()
    return ag.draw_graph(o, params=named, show_grads=True, rankdir="LR")


class Classifier(nn.Module):
    """An MLP encoder and a linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh())
        self.head = nn.Linear(16, 3)

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        return self.head(self.encoder(x))


def model_graph() -> ag.viz.GraphPicture:
    """The classifier and its loss, one cluster per module, after backward."""
    ag.manual_seed(0)
    model = Classifier()
    x, y = ag.randn(32, 4), ag.randint(0, 3, (32,))
    with record_graph():     # keeps shapes after backward frees the saved tensors
        loss = nn.CrossEntropyLoss()(model(x), y)
    loss.backward()
    return ag.draw_graph(loss, params=model, show_grads=True)


class Block(nn.Module):
    """A ResNet basic block: conv-bn-relu-conv-bn plus the shortcut, then relu."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(c_out))

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    """A small ResNet-18-shaped network: stem, four stages of two blocks, pool, fc."""

    def __init__(self, widths: tuple = (8, 16, 32, 64), n_classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 3, padding=1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU())
        c_in = widths[0]
        for i, c in enumerate(widths):
            setattr(self, f"layer{i + 1}", nn.Sequential(Block(c_in, c, 1 if i == 0 else 2),
                                                         Block(c, c, 1)))
            c_in = c
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c_in, n_classes)

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        x = self.stem(x)
        for i in range(1, 5):
            x = getattr(self, f"layer{i}")(x)
        return self.fc(self.pool(x).flatten(1))


def resnet_graph() -> ag.viz.GraphPicture:
    """A ResNet (150 ops, 62 parameter tensors), one box per block (collapse=2); the
    arrows carry the shapes that flow between blocks."""
    ag.manual_seed(0)
    model = ResNet()
    loss = model(ag.randn(2, 3, 16, 16)).sum()
    return ag.draw_graph(loss, params=model, collapse=2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--png", type=Path, help="also write PNG copies into this directory")
    args = ap.parse_args()
    for name, make in (("scalar_graph", scalar_graph), ("model_graph", model_graph),
                       ("resnet_graph", resnet_graph)):
        g = make()
        path = g.render(HERE / name, format="svg", cleanup=True)
        print("wrote", path)
        if args.png:
            print("wrote", g.render(args.png / name, format="png", cleanup=True))


if __name__ == "__main__":
    main()
