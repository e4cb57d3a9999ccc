"""Write the tutorial notebooks in this folder from the cells below (outputs stripped).

    python notebooks/build.py          # rewrites notebooks/*.ipynb

The notebooks are generated so that their source stays reviewable as plain Python;
edit the cells here, run this script, and commit both.  tests/test_notebooks.py runs
every notebook top to bottom in a real Jupyter kernel, and checks that the committed
files are what this script writes.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
from nbformat import v4

HERE = Path(__file__).resolve().parent


def md(text: str) -> nbformat.NotebookNode:
    """A markdown cell (text dedented)."""
    return v4.new_markdown_cell(textwrap.dedent(text).strip())


def code(text: str) -> nbformat.NotebookNode:
    """A code cell (source dedented), with no outputs."""
    return v4.new_code_cell(textwrap.dedent(text).strip())


# --------------------------------------------------------------------------------------
NB01 = [
    md("""
    # 01 · Scalars and tapes

    **What this shows:** how tapegrad computes gradients. A single neuron built from 0-d
    tensors (micrograd style) is recorded on a tape as it runs; we draw that graph with
    its values, compute the gradients by hand with the chain rule, and check that
    `backward()` gives the same numbers. Then the same neuron on vectors and batches, and
    higher-order derivatives with `create_graph=True`.
    """),
    code("""
    import math
    import numpy as np
    import matplotlib.pyplot as plt
    import autograd as ag
    """),
    md("""
    ## A neuron of scalars

    `o = tanh(x1*w1 + x2*w2 + b)`. Every operation on a tensor that requires grad is
    recorded as the Python code runs. `ag.viz.record_graph()` additionally keeps every
    intermediate value, so the picture can show them even after backward has freed the
    buffers it saved.
    """),
    code("""
    x1, x2 = ag.tensor(2.0, requires_grad=True), ag.tensor(0.0, requires_grad=True)
    w1, w2 = ag.tensor(-3.0, requires_grad=True), ag.tensor(1.0, requires_grad=True)
    b = ag.tensor(6.8813735870195432, requires_grad=True)

    with ag.viz.record_graph():
        x1w1 = x1 * w1
        x2w2 = x2 * w2
        s = x1w1 + x2w2
        n = s + b
        o = ag.tanh(n)
    names = dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, x1w1=x1w1, x2w2=x2w2, s=s, n=n, o=o)
    print(o)
    ag.draw_graph(o, params=names, rankdir="LR")
    """),
    md("""
    ## Backward by hand

    The chain rule, from the output back: `do/dn = 1 - tanh(n)^2 = 1 - o^2`; an addition
    passes its gradient to both inputs unchanged; a product sends each input the
    gradient times the *other* input.
    """),
    code("""
    do_dn = 1 - o.item() ** 2
    do_db = do_ds = do_dx1w1 = do_dx2w2 = do_dn
    by_hand = {
        "x1": do_dx1w1 * w1.item(), "w1": do_dx1w1 * x1.item(),
        "x2": do_dx2w2 * w2.item(), "w2": do_dx2w2 * x2.item(),
        "b": do_db,
    }
    {name: round(value, 6) for name, value in by_hand.items()}
    """),
    md("""
    Now `backward()`. `retain_grad()` asks the intermediates to keep their gradients too
    (by default only leaves do), so the picture can show every one of them.
    """),
    code("""
    for t in (x1w1, x2w2, s, n, o):
        t.retain_grad()
    o.backward()
    for name, expected in by_hand.items():
        got = names[name].grad.item()
        print(f"d o / d {name:2s}  by hand {expected:+.6f}   backward() {got:+.6f}")
        assert math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-7)
    ag.draw_graph(o, params=names, show_grads=True, rankdir="LR")
    """),
    md("""
    ## The same neuron with tanh written out

    `tanh(n) = (e^{2n} - 1) / (e^{2n} + 1)`: a longer graph, the same gradients. The engine
    does not care how a function is composed; each primitive knows its own local
    derivative.
    """),
    code("""
    for t in (x1, x2, w1, w2, b):
        t.grad = None                                 # gradients accumulate: reset
    n = x1 * w1 + x2 * w2 + b
    e = ag.exp(2 * n)
    o2 = (e - 1) / (e + 1)
    o2.backward()
    print("o =", o2.item(), " d o / d w1 =", w1.grad.item(), " (by hand", by_hand["w1"], ")")
    ag.draw_graph(o2, params=dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b), rankdir="LR")
    """),
    md("""
    ## Gradients accumulate

    As in PyTorch, `backward()` *adds* into `.grad`: two backward passes without
    resetting double it. An optimizer's `zero_grad()` (or `t.grad = None`) resets it.
    """),
    code("""
    x = ag.tensor(3.0, requires_grad=True)
    for _ in range(2):
        (x * x).backward()
    print(x.grad)          # 2 * (2x) = 12
    """),
    md("""
    ## Vectors and batches

    The same neuron with 3 inputs, `o = tanh(w · x + b)`, then a batch of 4 inputs at
    once (`X @ w`). Broadcasting is NumPy's; the gradient of a broadcast input is summed
    back to its shape, so `b.grad` below is a scalar again. The hand-written gradient
    uses `d tanh(z)/dz = 1 - tanh(z)^2`.
    """),
    code("""
    ag.manual_seed(0)
    w = ag.randn(3, dtype=ag.float64, requires_grad=True)
    b = ag.tensor(0.5, dtype=ag.float64, requires_grad=True)
    X = ag.randn(4, 3, dtype=ag.float64)

    out = ag.tanh(X @ w + b)          # (4,): one output per row of X
    loss = out.sum()
    loss.backward()

    d_out = 1 - out.detach().numpy() ** 2          # (4,)
    assert np.allclose(w.grad.numpy(), X.numpy().T @ d_out)
    assert np.isclose(b.grad.item(), d_out.sum())
    print("w.grad", w.grad.numpy(), " b.grad", b.grad.item())
    ag.draw_graph(loss, params={"X": X, "w": w, "b": b}, rankdir="LR")
    """),
    md("""
    ## Python control flow just works

    The tape records what actually ran, so loops and branches need nothing special:
    here a loop of data-dependent length (Newton's iteration for the square root) and
    the gradient through all of its steps.
    """),
    code("""
    a = ag.tensor(2.0, dtype=ag.float64, requires_grad=True)
    y, steps = ag.tensor(1.0, dtype=ag.float64), 0
    while abs(y.item() ** 2 - a.item()) > 1e-12:
        y = (y + a / y) / 2                            # y -> sqrt(a)
        steps += 1
    y.backward()
    print(f"{steps} steps: sqrt(2) = {y.item():.12f}, d sqrt(a)/da = {a.grad.item():.9f}"
          f" (exact {0.5 / math.sqrt(2):.9f})")
    """),
    md("""
    ## Higher order: `create_graph=True`

    With `create_graph=True` the backward pass is itself recorded, so its result can be
    differentiated again, to any order. `ag.grad(y, x)` returns the gradient instead of
    accumulating it. On a vector of points the sum trick gives the derivative at every
    point at once (each `y[i]` depends on `x[i]` only).
    """),
    code("""
    x = ag.linspace(-3, 3, 200, dtype=ag.float64, requires_grad=True)
    y = ag.tanh(x)
    derivs = [y]
    for _ in range(3):
        (d,) = ag.grad(derivs[-1].sum(), x, create_graph=True)
        derivs.append(d)

    t = np.tanh(x.detach().numpy())
    assert np.allclose(derivs[1].detach().numpy(), 1 - t**2)
    assert np.allclose(derivs[2].detach().numpy(), -2 * t * (1 - t**2))

    fig, ax = plt.subplots(figsize=(7, 4))
    labels = ["tanh(x)", "1st derivative", "2nd derivative", "3rd derivative"]
    for k, (d, label) in enumerate(zip(derivs, labels)):
        ax.plot(x.detach().numpy(), d.detach().numpy(), lw=2.5 - 0.4 * k, label=label)
    ax.axhline(0, color="grey", lw=0.5)
    ax.set(xlabel="x", title="tanh and its derivatives, by autograd")
    ax.legend()
    plt.show()
    """),
    md("""
    The graph of a gradient is an ordinary graph: here `d/dx (x sin x)`, recorded by
    `create_graph=True`, whose nodes are the backward formulas of `sin` and `*`.
    """),
    code("""
    x = ag.tensor(1.5, dtype=ag.float64, requires_grad=True)
    (dy,) = ag.grad(ag.sin(x) * x, x, create_graph=True)
    (d2y,) = ag.grad(dy, x)
    s, c = math.sin(1.5), math.cos(1.5)
    print(f"d/dx   = {dy.item():.6f}   (sin x + x cos x   = {s + 1.5 * c:.6f})")
    print(f"d2/dx2 = {d2y.item():.6f}   (2 cos x - x sin x = {2 * c - 1.5 * s:.6f})")
    ag.draw_graph(dy, params={"x": x}, rankdir="LR")
    """),
]

# --------------------------------------------------------------------------------------
NB02 = [
    md("""
    # 02 · An MLP on digits

    **What this shows:** forward propagation by hand (the coffee-roasting network: two
    inputs, 3 sigmoid units, 1 sigmoid output) checked against tapegrad's layers; then
    two ways of writing a classifier for scikit-learn's 8x8 digits, a Keras-style
    `Sequential([Dense(...), ...])` and a PyTorch-style `nn.Module`, trained with a
    progress bar, their loss and accuracy plotted, a confusion matrix, and the model's
    graph clustered by module.
    """),
    code("""
    import numpy as np
    import matplotlib.pyplot as plt
    from tqdm import tqdm
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    import autograd as ag
    import nn
    import optim
    from nn import functional as F
    """),
    md("""
    ## Coffee roasting: forward propagation by hand

    A roast is good when the temperature (°C) and the duration (minutes) fall inside a
    triangle-shaped region. We make 200 roasts, normalize the two features, and train a
    2-3-1 network of sigmoid `Dense` layers with binary cross-entropy.
    """),
    code("""
    rng = np.random.default_rng(2)
    temp = rng.uniform(150, 285, 200)
    dur = rng.uniform(11.5, 15.5, 200)
    good = (temp > 175) & (temp < 260) & (dur > 12) & (dur < 15) & (dur <= -3 / 85 * temp + 21)
    X = np.stack([temp, dur], 1)
    Y = good.astype(np.float32)[:, None]
    mu, sd = X.mean(0), X.std(0)
    Xn = ((X - mu) / sd).astype(np.float32)

    ag.manual_seed(0)
    coffee = nn.Sequential([nn.Dense(3, activation="sigmoid", input_dim=2),
                            nn.Dense(1, activation="sigmoid")])
    coffee(Xn[:1])                                      # build the second layer (in = 3)
    opt = optim.Adam(coffee.parameters(), lr=0.1)
    for step in range(2000):
        loss = F.binary_cross_entropy(coffee(Xn), Y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(coffee)
    print(f"loss {loss.item():.4f}, training accuracy "
          f"{((coffee(Xn).detach().numpy() > 0.5) == good[:, None]).mean():.1%}")
    """),
    md("""
    Forward propagation by hand, as in the seeds' lab: each unit `j` of a dense layer
    computes `g(w_j · a_in + b_j)`. The weights are read from the trained layers (laid
    out like PyTorch's `Linear`: `(units, in)`), and the result must equal the model's.
    """),
    code("""
    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    def my_dense(a_in, W, b):
        \"\"\"One dense layer, unit by unit: W is (units, in).\"\"\"
        return np.array([sigmoid(W[j] @ a_in + b[j]) for j in range(W.shape[0])])

    def my_sequential(x, layers):
        a = x
        for W, b in layers:
            a = my_dense(a, W, b)
        return a

    params = [(layer.weight.detach().numpy(), layer.bias.detach().numpy()) for layer in coffee]
    tests = np.array([[200.0, 13.0], [200.0, 17.0], [240.0, 12.5], [160.0, 13.0]])   # (°C, min)
    for roast in tests:
        x = (roast - mu) / sd
        by_hand = my_sequential(x, params)[0]
        by_model = coffee(ag.tensor(x[None].astype(np.float32))).item()
        print(f"{roast[0]:.0f} °C, {roast[1]:.1f} min: by hand {by_hand:.4f}, model {by_model:.4f}"
              f" -> {'good' if by_hand > 0.5 else 'bad'} roast")
        assert np.isclose(by_hand, by_model, atol=1e-5)
    """),
    code("""
    # What the network learned: its decision over the whole (temperature, duration) plane.
    tt, dd = np.meshgrid(np.linspace(150, 285, 200), np.linspace(11.5, 15.5, 200))
    grid = ((np.stack([tt.ravel(), dd.ravel()], 1) - mu) / sd).astype(np.float32)
    with ag.no_grad():
        p = coffee(grid).numpy().reshape(tt.shape)
    fig, ax = plt.subplots(figsize=(6, 4))
    cs = ax.contourf(tt, dd, p, levels=20, cmap="RdYlGn", alpha=0.6)
    fig.colorbar(cs, label="P(good roast)")
    ax.scatter(temp[good], dur[good], marker="x", c="darkgreen", label="good")
    ax.scatter(temp[~good], dur[~good], marker="o", facecolors="none", edgecolors="darkred",
               label="bad")
    ax.set(xlabel="temperature (°C)", ylabel="duration (min)", title="coffee roasting")
    ax.legend(loc="upper right")
    plt.show()
    """),
    md("""
    ## Digits

    1,797 grayscale 8x8 images of handwritten digits, split 75/25 (stratified), each
    pixel standardized with the training set's statistics.
    """),
    code("""
    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0,
                                                        stratify=y)
    mu, sd = x_train.mean(0), x_train.std(0) + 1.0    # +1: border pixels have std 0
    x_train = ((x_train - mu) / sd).astype(np.float32)
    x_test = ((x_test - mu) / sd).astype(np.float32)
    print(x_train.shape, x_test.shape)

    fig, axes = plt.subplots(1, 10, figsize=(10, 1.3))
    for ax, img, label in zip(axes, x_train, y_train):
        ax.imshow(img.reshape(8, 8), cmap="gray_r")
        ax.set_title(int(label))
        ax.axis("off")
    plt.show()
    """),
    md("""
    One training function serves both models: mini-batches from `nn.data.DataLoader`,
    cross-entropy on the logits, an optimizer step, and a `tqdm` bar that shows the
    epoch's loss and the test accuracy.
    """),
    code("""
    def accuracy(model, x, y):
        with ag.no_grad():
            return float((model(x).numpy().argmax(1) == y).mean())

    def train(model, opt, epochs, desc):
        loader = nn.data.DataLoader(nn.data.TensorDataset(x_train, y_train), batch_size=32,
                                    shuffle=True, seed=0)
        history = {"loss": [], "test accuracy": []}
        bar = tqdm(range(epochs), desc=desc)
        for epoch in bar:
            total = 0.0
            for xb, yb in loader:
                loss = F.cross_entropy(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * len(yb)
            history["loss"].append(total / len(y_train))
            history["test accuracy"].append(accuracy(model, x_test, y_test))
            bar.set_postfix(loss=f"{history['loss'][-1]:.3f}",
                            acc=f"{history['test accuracy'][-1]:.3f}")
        return history
    """),
    md("""
    ### Keras style

    `Dense` infers its in-features at the first call, so the model is built by calling
    it once before its parameters go to the optimizer.
    """),
    code("""
    ag.manual_seed(0)
    keras_model = nn.Sequential([
        nn.Dense(25, activation="relu"),
        nn.Dense(15, activation="relu"),
        nn.Dense(10),                                 # logits; softmax is in the loss
    ])
    keras_model(x_train[:1])
    keras_hist = train(keras_model, optim.Adam(keras_model.parameters(), lr=3e-3), 20, "Dense")
    """),
    md("### PyTorch style"),
    code("""
    class MLP(nn.Module):
        def __init__(self, n_in=64, hidden=100, n_out=10):
            super().__init__()
            self.hidden = nn.Linear(n_in, hidden)
            self.act = nn.ReLU()
            self.out = nn.Linear(hidden, n_out)

        def forward(self, x):
            return self.out(self.act(self.hidden(x)))

    ag.manual_seed(0)
    mlp = MLP()
    print(mlp)
    mlp_hist = train(mlp, optim.SGD(mlp.parameters(), lr=0.1, momentum=0.9), 20, "MLP")
    """),
    code("""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
    for name, hist in [("Keras-style Dense 25-15-10, Adam", keras_hist),
                       ("PyTorch-style MLP 100-10, SGD momentum", mlp_hist)]:
        epochs = np.arange(1, len(hist["loss"]) + 1)
        ax1.plot(epochs, hist["loss"], "o-", ms=3, label=name)
        ax2.plot(epochs, hist["test accuracy"], "o-", ms=3, label=name)
    ax1.set(xlabel="epoch", ylabel="training loss", yscale="log", title="loss")
    ax2.set(xlabel="epoch", ylabel="test accuracy", title="test accuracy", ylim=(0.7, 1.0))
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9)
    plt.show()
    print(f"test accuracy: Dense {keras_hist['test accuracy'][-1]:.2%}, "
          f"MLP {mlp_hist['test accuracy'][-1]:.2%}")
    assert mlp_hist["test accuracy"][-1] > 0.95
    """),
    md("""
    ## Confusion matrix

    Row = true digit, column = predicted digit; everything off the diagonal is a mistake.
    """),
    code("""
    with ag.no_grad():
        pred = mlp(x_test).numpy().argmax(1)
    cm = np.zeros((10, 10), dtype=int)
    np.add.at(cm, (y_test, pred), 1)

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.imshow(cm, cmap="Blues")
    for i, j in zip(*np.nonzero(cm)):
        ax.text(j, i, cm[i, j], ha="center", va="center",
                color="white" if cm[i, j] > cm.max() / 2 else "black")
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true",
           title=f"MLP on digits: {np.trace(cm)} of {cm.sum()} right")
    plt.show()
    """),
    md("""
    ## The model's graph

    `draw_graph(loss, params=model)` names every parameter and groups the ops that ran
    inside each module in one box, named as in `named_modules()`. `collapse=True` would
    draw each module as a single box instead.
    """),
    code("""
    xb, yb = ag.tensor(x_train[:32]), ag.tensor(y_train[:32])
    loss = F.cross_entropy(mlp(xb), yb)
    ag.draw_graph(loss, params=mlp, collapse=False)
    """),
    code("""
    ag.draw_graph(loss, params=mlp, collapse=True, rankdir="LR")
    """),
]

# --------------------------------------------------------------------------------------
NB03 = [
    md("""
    # 03 · Convolutions

    **What this shows:** the convolution arithmetic example (a 5x5 input, a 3x3 filter)
    computed by hand and by `F.conv2d`, with padding and stride, and its gradient; then a
    small CNN trained on scikit-learn's digits that beats an MLP trained on the same
    split, with its learned filters and feature maps drawn.
    """),
    code("""
    import time
    import numpy as np
    import matplotlib.pyplot as plt
    from tqdm import tqdm
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    import autograd as ag
    import nn
    import optim
    from nn import functional as F
    """),
    md("""
    ## Convolution arithmetic: 5x5 input, 3x3 filter

    The filter slides over the input; each output element is the sum of the
    element-wise product of the filter with the 3x3 window under it. With no padding
    and stride 1 the output is `(5 - 3)/1 + 1 = 3` wide. (Like every deep-learning
    library, `conv2d` computes a cross-correlation: the filter is not flipped.)
    """),
    code("""
    image = np.array([[1, 1, 1, 0, 0],
                      [0, 1, 1, 1, 0],
                      [0, 0, 1, 1, 1],
                      [0, 0, 1, 1, 0],
                      [0, 1, 1, 0, 0]], dtype=np.float64)
    kernel = np.array([[1, 0, 1],
                       [0, 1, 0],
                       [1, 0, 1]], dtype=np.float64)

    def conv_by_hand(x, k, stride=1, padding=0):
        x = np.pad(x, padding)
        n = (x.shape[0] - k.shape[0]) // stride + 1
        out = np.zeros((n, n))
        for i in range(n):
            for j in range(n):
                window = x[i * stride:i * stride + k.shape[0], j * stride:j * stride + k.shape[1]]
                out[i, j] = (window * k).sum()
        return out

    by_hand = conv_by_hand(image, kernel)
    by_conv2d = F.conv2d(ag.tensor(image[None, None]), ag.tensor(kernel[None, None]))
    print(by_hand)
    assert np.array_equal(by_hand, by_conv2d.numpy()[0, 0])
    assert np.array_equal(by_hand, [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    """),
    code("""
    fig, axes = plt.subplots(1, 3, figsize=(9, 3.2),
                             gridspec_kw={"width_ratios": [5, 3, 3]})
    for ax, (m, title) in zip(axes, [(image, "input 5x5"), (kernel, "filter 3x3"),
                                     (by_hand, "output 3x3")]):
        ax.imshow(m, cmap="Blues", vmin=0, vmax=max(m.max(), 1) * 1.3)
        for (i, j), v in np.ndenumerate(m):
            ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=12,
                    color="white" if v >= 0.75 * max(m.max(), 1) else "black")
        ax.set_title(title)
        ax.set_xticks([]); ax.set_yticks([])
    # the window that produced output (0, 0)
    axes[0].add_patch(plt.Rectangle((-0.5, -0.5), 3, 3, fill=False, ec="red", lw=3))
    axes[2].add_patch(plt.Rectangle((-0.5, -0.5), 1, 1, fill=False, ec="red", lw=3))
    plt.show()
    """),
    md("""
    Output size in general: `floor((n + 2p - k) / s) + 1`. Padding 1 keeps the size
    ("same"), stride 2 skips every other position.
    """),
    code("""
    x_t, k_t = ag.tensor(image[None, None]), ag.tensor(kernel[None, None])
    for stride, padding in [(1, 0), (1, 1), (2, 0), (2, 1)]:
        out = F.conv2d(x_t, k_t, stride=stride, padding=padding).numpy()[0, 0]
        assert np.array_equal(out, conv_by_hand(image, kernel, stride, padding))
        print(f"stride {stride}, padding {padding}: output {out.shape}, "
              f"formula {(5 + 2 * padding - 3) // stride + 1}")
    """),
    md("""
    The gradient. For `loss = sum(out * g)`, each input pixel receives `g` times every
    filter weight that touched it: a "full" convolution of `g` with the filter rotated by
    180°. Autograd gets it from the op's backward; we check it against that formula.
    """),
    code("""
    x = ag.tensor(image[None, None], requires_grad=True)
    w = ag.tensor(kernel[None, None], requires_grad=True)
    g = np.arange(9, dtype=np.float64).reshape(3, 3)
    (F.conv2d(x, w) * ag.tensor(g)).sum().backward()

    full = conv_by_hand(np.pad(g, 2), kernel[::-1, ::-1])      # (5, 5)
    assert np.allclose(x.grad.numpy()[0, 0], full)
    assert np.allclose(w.grad.numpy()[0, 0], conv_by_hand(image, g))   # dL/dw: input (*) g
    print("d loss / d input =\\n", x.grad.numpy()[0, 0])
    """),
    md("""
    ## Digits: an MLP and a CNN on the same split

    The images as `(N, 1, 8, 8)` arrays in [0, 1]; both models get the same data,
    optimizer (Adam with a cosine learning-rate schedule), batches and number of epochs.
    The CNN has fewer parameters than the MLP: its filters are shared across the image.
    """),
    code("""
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]      # (1797, 1, 8, 8)
    x_train, x_test, y_train, y_test = train_test_split(
        images, digits.target, test_size=0.25, random_state=0, stratify=digits.target)

    def train(model, epochs, desc, lr=1e-2):
        opt = optim.Adam(model.parameters(), lr=lr)
        schedule = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
        loader = nn.data.DataLoader(nn.data.TensorDataset(x_train, y_train), batch_size=64,
                                    shuffle=True, seed=0)
        accs, start = [], time.perf_counter()
        for epoch in (bar := tqdm(range(epochs), desc=desc)):
            model.train()
            for xb, yb in loader:
                loss = F.cross_entropy(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
            schedule.step()
            accs.append(accuracy(model))
            bar.set_postfix(loss=f"{loss.item():.3f}", acc=f"{accs[-1]:.3f}")
        print(f"{desc}: {sum(p.numel() for p in model.parameters()):,} parameters, "
              f"test accuracy {accs[-1]:.2%}, {time.perf_counter() - start:.1f} s")
        return accs

    def accuracy(model):
        model.eval()
        with ag.no_grad():
            return float((model(ag.tensor(x_test)).numpy().argmax(1) == y_test).mean())

    ag.manual_seed(0)
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(64, 100), nn.ReLU(), nn.Linear(100, 10))
    mlp_acc = train(mlp, 8, "MLP")
    """),
    code("""
    ag.manual_seed(0)
    cnn = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        nn.MaxPool2d(2),                                              # 8 x 4 x 4
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.MaxPool2d(2),                                              # 16 x 2 x 2
        nn.Flatten(), nn.Linear(16 * 2 * 2, 10))
    cnn_acc = train(cnn, 8, "CNN")
    """),
    code("""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for model, accs, name, marker in [(mlp, mlp_acc, "MLP", "o-"), (cnn, cnn_acc, "CNN", "s-")]:
        n_params = sum(p.numel() for p in model.parameters())
        ax.plot(range(1, len(accs) + 1), accs, marker, label=f"{name} ({n_params:,} parameters)")
    ax.set(xlabel="epoch", ylabel="test accuracy", title="digits: CNN vs MLP")
    ax.grid(alpha=0.3)
    ax.legend()
    plt.show()
    assert cnn_acc[-1] > mlp_acc[-1], (cnn_acc[-1], mlp_acc[-1])
    """),
    md("""
    ## What the CNN learned

    The 8 filters of the first layer, and what each makes of one test image (its
    feature maps after batch norm and ReLU).
    """),
    code("""
    filters = cnn[0].weight.detach().numpy()[:, 0]                     # (8, 3, 3)
    with ag.no_grad():
        maps = cnn[:3](ag.tensor(x_test[:1])).numpy()[0]          # (8, 8, 8)

    fig, axes = plt.subplots(3, 8, figsize=(10, 4))
    axes[0, 0].imshow(x_test[0, 0], cmap="gray_r")
    axes[0, 0].set_title(f"input: {y_test[0]}")
    lim = np.abs(filters).max()
    for c in range(8):
        axes[1, c].imshow(filters[c], cmap="RdBu", vmin=-lim, vmax=lim)
        axes[1, c].set_title(f"filter {c}", fontsize=9)
        axes[2, c].imshow(maps[c], cmap="viridis")
        axes[2, c].set_title(f"map {c}", fontsize=9)
    for ax in axes.ravel():
        ax.set_xticks([]); ax.set_yticks([])
    for ax in axes[0, 1:]:
        ax.axis("off")
    plt.show()
    """),
    md("The CNN's graph, one box per layer (`collapse=True`), with the shapes flowing between them:"),
    code("""
    cnn.eval()
    ag.draw_graph(cnn(ag.tensor(x_test[:4])), params=cnn, collapse=True)
    """),
]

# --------------------------------------------------------------------------------------
NB04 = [
    md("""
    # 04 · An LSTM that remembers

    **What this shows:** an `nn.LSTM` learning the temporal order problem (Hochreiter &
    Schmidhuber 1997): a sequence of random symbols hides two markers, each `X` or `Y`,
    and the class is their order (XX, XY, YX, YY). The first marker comes early and must
    be carried across many distractors. Then the LSTM's graph: one node per time step,
    and the whole layer collapsed to one box.
    """),
    code("""
    import numpy as np
    import matplotlib.pyplot as plt
    from tqdm import tqdm

    import autograd as ag
    import nn
    import optim
    from nn import functional as F
    """),
    md("""
    ## The task

    Symbols 0-3 are distractors, 4 is `X`, 5 is `Y`, fed one-hot. Sequences have random
    lengths from 12 to 24 and are padded to 24; `lengths=` tells the LSTM where each one
    ends, so `h_n` is the state after its last real step. Chance is 25%.
    """),
    code("""
    SYMBOLS = "abcdXY"
    MAX_LEN = 24

    def temporal_order(rng, n, lo=12, hi=MAX_LEN):
        lengths = rng.integers(lo, hi + 1, n)
        seq = rng.integers(0, 4, (n, hi))
        first, second = rng.integers(0, 2, n), rng.integers(0, 2, n)
        rows = np.arange(n)
        seq[rows, rng.integers(0, lengths // 2)] = 4 + first            # a marker in the first half
        seq[rows, rng.integers(lengths // 2, lengths)] = 4 + second      # and one in the second
        x = np.eye(6, dtype=np.float32)[seq]
        x[np.arange(hi)[None, :] >= lengths[:, None]] = 0                # padding
        return x, lengths, 2 * first + second, seq

    x, lengths, labels, seq = temporal_order(np.random.default_rng(1), 5)
    classes = ["XX", "XY", "YX", "YY"]
    for s, n, c in zip(seq, lengths, labels):
        print("".join(SYMBOLS[i] for i in s[:n]).ljust(MAX_LEN), "->", classes[c])
    """),
    md("## The model: an LSTM read at each sequence's end, then a linear layer"),
    code("""
    class OrderClassifier(nn.Module):
        def __init__(self, hidden=24):
            super().__init__()
            self.lstm = nn.LSTM(6, hidden, batch_first=True)
            self.head = nn.Linear(hidden, 4)

        def forward(self, x, lengths):
            _, (h_n, c_n) = self.lstm(x, lengths=lengths)
            return self.head(h_n[-1])

    def accuracy(model, data):
        x, lengths, labels, _ = data
        with ag.no_grad():
            return float((model(ag.tensor(x), lengths).numpy().argmax(1) == labels).mean())

    ag.manual_seed(0)
    model = OrderClassifier()
    print(model)
    opt = optim.Adam(model.parameters(), lr=0.01)
    rng, test = np.random.default_rng(0), temporal_order(np.random.default_rng(123), 500)
    losses, accs = [], [(0, accuracy(model, test))]
    for step in (bar := tqdm(range(1, 201), desc="LSTM")):
        x, lengths, y, _ = temporal_order(rng, 32)
        loss = F.cross_entropy(model(ag.tensor(x), lengths), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if step % 25 == 0:
            accs.append((step, accuracy(model, test)))
            bar.set_postfix(loss=f"{np.mean(losses[-25:]):.3f}", acc=f"{accs[-1][1]:.3f}")
    print(f"test accuracy: {accs[0][1]:.1%} before training, {accs[-1][1]:.1%} after")
    """),
    code("""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.5))
    ax1.plot(losses, alpha=0.3, color="C0")
    ax1.plot(np.arange(25, len(losses) + 1), np.convolve(losses, np.ones(25) / 25, "valid"),
             color="C0", label="mean of 25 steps")
    ax1.set(xlabel="step", ylabel="cross-entropy", title="training loss")
    ax1.legend()
    steps, acc = zip(*accs)
    ax2.plot(steps, acc, "o-", color="C1")
    ax2.axhline(0.25, color="grey", ls="--", label="chance")
    ax2.set(xlabel="step", ylabel="accuracy", title="test accuracy (500 sequences)", ylim=(0, 1.02))
    ax2.legend(loc="lower right")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    plt.show()
    assert accs[-1][1] > 0.9
    """),
    md("""
    What the LSTM carries: the norm of the change of its cell state `c` at each step of
    one sequence. It jumps at the markers (`X`/`Y`) and stays quiet over the
    distractors, which it has learned to ignore.
    """),
    code("""
    x, lengths, labels, seq = temporal_order(np.random.default_rng(7), 1)
    n = int(lengths[0])
    cell = nn.LSTMCell(6, 24)                         # the same weights, one step at a time
    cell.load_state_dict({k.replace("_l0", ""): v for k, v in model.lstm.state_dict().items()})
    h = c = ag.zeros(1, 24)
    changes = []
    with ag.no_grad():
        for t in range(n):
            h, c_new = cell(ag.tensor(x[:, t]), (h, c))
            changes.append(float(np.linalg.norm((c_new - c).numpy())))
            c = c_new
    fig, ax = plt.subplots(figsize=(9, 2.8))
    colors = ["C3" if s >= 4 else "C0" for s in seq[0, :n]]
    ax.bar(range(n), changes, color=colors)
    ax.set_xticks(range(n), [SYMBOLS[s] for s in seq[0, :n]])
    ax.set(ylabel="|c_t - c_(t-1)|", title=f"cell-state updates along one sequence "
           f"(class {classes[labels[0]]}; markers in red)")
    plt.show()
    """),
    md("""
    ## The LSTM's graph

    `nn.LSTM` projects the inputs of all time steps in one matrix product, then runs
    one fused `LSTMStep` node per time step (its backward is the engine's own walk back
    through time). Drawn with every op (`collapse=False`) on a short sequence of 6
    steps, the chain of steps is visible: the hidden and cell state flow from each step
    to the next.
    """),
    code("""
    x, lengths, labels, _ = temporal_order(np.random.default_rng(3), 2, lo=6, hi=6)
    loss = F.cross_entropy(model(ag.tensor(x), lengths), labels)
    ag.draw_graph(loss, params=model, collapse=False)
    """),
    md("""
    On the full-length sequences the per-step picture grows with the length; collapsed
    (`collapse=True`) the whole layer is one box, whatever the number of steps, with the
    shapes flowing in and out:
    """),
    code("""
    x, lengths, labels, _ = temporal_order(np.random.default_rng(3), 32)
    loss = F.cross_entropy(model(ag.tensor(x), lengths), labels)
    ag.draw_graph(loss, params=model, collapse=True, rankdir="LR")
    """),
]

# --------------------------------------------------------------------------------------
NB05 = [
    md("""
    # 05 · Beyond gradient descent: optimizers

    **What this shows:** plain SGD, SGD with momentum, AdaGrad, RMSprop and Adam from
    `optim`, each written out first as its update rule, then run on the Rosenbrock
    function, a long curved valley where plain gradient descent crawls; their
    trajectories on the contour plot and their loss per step.
    """),
    code("""
    import numpy as np
    import matplotlib.pyplot as plt
    import autograd as ag
    import optim
    """),
    md("""
    ## The surface

    `f(x, y) = (1 - x)^2 + 100 (y - x^2)^2`, minimum 0 at (1, 1). The valley floor is
    flat along its length and very steep across it: the curvature differs by a factor of
    about 1000, so a step size small enough not to bounce across the valley is far too
    small to move along it.
    """),
    code("""
    def rosenbrock(x, y):
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2

    START, MINIMUM = (-1.5, 2.0), (1.0, 1.0)

    def run(make_opt, steps=600):
        \"\"\"Points visited and loss per step; gradients by autograd, updates by `optim`.\"\"\"
        xy = ag.tensor(np.array(START), requires_grad=True)
        opt = make_opt([xy])
        points, losses = [xy.detach().numpy().copy()], []
        for _ in range(steps):
            opt.zero_grad()
            loss = rosenbrock(xy[0], xy[1])
            loss.backward()
            opt.step()
            losses.append(loss.item())
            points.append(xy.detach().numpy().copy())
        return np.array(points), np.array(losses)
    """),
    md("""
    ## The update rules

    With gradient `g_t` and learning rate `η` (PyTorch's formulations, which `optim`
    follows exactly):

    | optimizer | state | update |
    |---|---|---|
    | SGD | | `θ ← θ - η g` |
    | momentum | `v ← μ v + g` | `θ ← θ - η v` |
    | AdaGrad | `s ← s + g²` | `θ ← θ - η g / (√s + ε)` |
    | RMSprop | `s ← α s + (1-α) g²` | `θ ← θ - η g / (√s + ε)` |
    | Adam | `m ← β₁ m + (1-β₁) g`, `v ← β₂ v + (1-β₂) g²` | `θ ← θ - η m̂ / (√v̂ + ε)`, with `m̂ = m/(1-β₁ᵗ)`, `v̂ = v/(1-β₂ᵗ)` |

    Momentum accumulates a velocity along the consistent direction of the valley; the
    adaptive methods divide each coordinate by its own gradient scale, so the steep and
    the flat direction move at similar speeds. A hand-written momentum step gives
    exactly what `optim.SGD(momentum=0.9)` does:
    """),
    code("""
    def momentum_by_hand(steps, lr=1e-4, mu=0.9):
        xy, v = np.array(START), np.zeros(2)
        for _ in range(steps):
            t = ag.tensor(xy, requires_grad=True)
            rosenbrock(t[0], t[1]).backward()
            v = mu * v + t.grad.numpy()
            xy = xy - lr * v
        return xy

    points, _ = run(lambda p: optim.SGD(p, lr=1e-4, momentum=0.9), steps=50)
    print("by hand:", momentum_by_hand(50), " optim.SGD:", points[-1])
    assert np.allclose(momentum_by_hand(50), points[-1])
    """),
    md("""
    ## The race

    Each optimizer starts at (-1.5, 2) and takes 600 steps with a learning rate close to
    the best that does not diverge (plain SGD must stay below ~2 / the largest curvature
    on its path).
    """),
    code("""
    OPTIMIZERS = {
        "SGD (lr 5e-4)": lambda p: optim.SGD(p, lr=5e-4),
        "momentum 0.9 (lr 1e-4)": lambda p: optim.SGD(p, lr=1e-4, momentum=0.9),
        "AdaGrad (lr 0.5)": lambda p: optim.Adagrad(p, lr=0.5),
        "RMSprop (lr 0.01)": lambda p: optim.RMSprop(p, lr=0.01),
        "Adam (lr 0.05)": lambda p: optim.Adam(p, lr=0.05),
    }
    results = {name: run(make) for name, make in OPTIMIZERS.items()}
    for name, (pts, losses) in results.items():
        print(f"{name:24s} ends at ({pts[-1, 0]:+.3f}, {pts[-1, 1]:+.3f}), f = {losses[-1]:.2e}")
    """),
    code("""
    fig, (ax, ax_loss) = plt.subplots(1, 2, figsize=(13, 5.2),
                                      gridspec_kw={"width_ratios": [1.2, 1]})
    gx, gy = np.meshgrid(np.linspace(-2, 2, 300), np.linspace(-1, 3, 300))
    z = np.log10(rosenbrock(gx, gy) + 1e-3)
    ax.contourf(gx, gy, z, levels=40, cmap="Blues_r", alpha=0.35)
    ax.contour(gx, gy, z, levels=20, colors="grey", linewidths=0.4)
    widths = np.linspace(6, 1.5, len(results))          # widest first, so all stay visible
    for (name, (pts, losses)), color, lw in zip(results.items(), plt.cm.tab10.colors, widths):
        ax.plot(pts[:, 0], pts[:, 1], "-", color=color, lw=lw, alpha=0.85, label=name)
        ax.plot(pts[::25, 0], pts[::25, 1], "o", color=color, ms=3.5, mec="black", mew=0.4)
        ax.plot(*pts[-1], "s", color=color, ms=8, mec="black")
        ax_loss.semilogy(losses, color=color, lw=1.8, label=name)
    ax.plot(*START, "ko", ms=8)
    ax.plot(*MINIMUM, "*", color="gold", mec="black", ms=18)
    ax.set(xlim=(-2, 2), ylim=(-1, 3), xlabel="x", ylabel="y",
           title="Rosenbrock: 600 steps from (-1.5, 2); dots every 25 steps, square = end")
    ax.legend(loc="lower right", fontsize=9)
    ax_loss.set(xlabel="step", ylabel="f (log scale)", title="loss per step")
    ax_loss.grid(True, which="both", alpha=0.3)
    ax_loss.legend(fontsize=9)
    fig.tight_layout()
    plt.show()
    """),
    md("""
    Plain SGD barely moves along the valley floor: its step must stay small for the
    steep direction. Momentum builds up speed along the floor. AdaGrad's first step is
    `lr · sign(g)` in each coordinate (the jump up and to the right), after which its
    ever-growing sum of squared gradients shrinks every step. RMSprop and Adam divide by
    a *moving* average instead, so they keep their pace, and Adam, with momentum on top,
    gets nearest to the minimum.
    """),
]

# --------------------------------------------------------------------------------------
NB06 = [
    md("""
    # 06 · Checking your own functions

    **What this shows:** how to write a custom `autograd.Function` (a forward and a
    backward, as in PyTorch), and three ways to catch a wrong backward: `gradcheck` at one
    point, a Hypothesis property over many shapes and values (`check_gradients`), and the
    tape replay (`check_tape`) that names the op, and the line, whose backward is wrong
    inside a whole model. Then we fix the bug and see all three pass.
    """),
    code("""
    import numpy as np
    import autograd as ag
    import nn
    from autograd.testing import check_gradients, tensors
    """),
    md("""
    ## A custom Function with a bug

    `swish(x) = x · sigmoid(x)` (also called SiLU). Its derivative is
    `sigmoid(x) + x · sigmoid(x) (1 - sigmoid(x))`; our first backward forgets the
    second term, a classic product-rule slip.
    """),
    code("""
    class Swish(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * ag.sigmoid(x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * ag.sigmoid(x)             # BUG: the x * sigmoid'(x) term is missing

    x = ag.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    y = Swish.apply(x)
    y.sum().backward()
    print(y)
    print(x.grad)          # runs happily: nothing says these numbers are wrong
    """),
    md("""
    ## 1. `gradcheck`: one point, every Jacobian element

    `gradcheck` compares the backward with central finite differences, in float64. The
    report gives the worst element, the analytic and the numeric values, and how many
    elements disagree.
    """),
    code("""
    x = ag.randn(4, 3, dtype=ag.float64, requires_grad=True)
    try:
        ag.gradcheck(Swish.apply, x)
    except ag.GradcheckError as e:
        print(e)
    """),
    md("""
    ## 2. A Hypothesis property: many shapes and values

    `check_gradients(fn, strategy)` runs gradcheck on every input Hypothesis draws
    (0-d and size-1 shapes included), and on a failure shrinks it to the simplest one.
    A bug that shows only for some shapes or values (a broadcast, a sign) is found this
    way, not by one hand-picked point.
    """),
    code("""
    try:
        check_gradients(Swish.apply, tensors(), max_examples=30)
    except ag.GradcheckError as e:
        print(e)
    """),
    md("""
    ## 3. The tape replay: which op, in which line?

    Inside a model the black-box check says only "the gradient is wrong". `check_tape`
    replays the recorded graph one node at a time, compares each node's backward with
    finite differences of its own forward, and names the culprit with the line that
    called it. Record the forward inside `ag.record_sites()` so each op can be
    replayed and located.
    """),
    code("""
    class Net(nn.Module):
        def __init__(self, act):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(8, 8) for _ in range(4)])
            self.act = act

        def forward(self, x):
            for layer in self.layers:
                x = self.act(layer(x))
            return x

    ag.manual_seed(0)
    net, x = Net(Swish.apply), ag.randn(5, 8)
    with ag.record_sites():
        loss = (net(x) ** 2).mean()
    report = ag.check_tape(loss, raise_exception=False)
    print(report)
    assert report.failures and "Swish" in str(report)
    """),
    md("""
    ## The fix

    Add the missing term. The backward is written with tensor ops, so it is itself
    differentiable and the second derivative (`gradgradcheck`, `order=2`) can be checked
    too.
    """),
    code("""
    class Swish(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * ag.sigmoid(x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            s = ag.sigmoid(x)
            return grad * (s + x * s * (1 - s))

    x = ag.randn(4, 3, dtype=ag.float64, requires_grad=True)
    print("gradcheck:", ag.gradcheck(Swish.apply, x))
    print("gradgradcheck:", ag.gradgradcheck(Swish.apply, x))
    check_gradients(Swish.apply, tensors(), max_examples=30, order=2)
    print("check_gradients (order 2): passed")

    ag.manual_seed(0)
    net = Net(Swish.apply)
    with ag.record_sites():
        loss = (net(ag.randn(5, 8)) ** 2).mean()
    report = ag.check_tape(loss)
    print(report)
    """),
    md("""
    ## One more tool: `detect_anomaly`

    A NaN or inf produced in backward is hard to trace back. Under `detect_anomaly()` the
    error names the op and the forward line that created it: here `sqrt` at 0, whose
    derivative is infinite.
    """),
    code("""
    x = ag.tensor([0.0, 4.0], requires_grad=True)
    with ag.detect_anomaly():
        y = ag.sqrt(x).sum()
        try:
            y.backward()
        except RuntimeError as e:
            print(e)
    """),
]

NOTEBOOKS = {
    "01_scalars_and_tapes": NB01,
    "02_mlp_on_digits": NB02,
    "03_cnn": NB03,
    "04_lstm": NB04,
    "05_optimizers": NB05,
    "06_checking_custom_functions": NB06,
}


def notebook(cells: list) -> nbformat.NotebookNode:
    """A v4 notebook of `cells` with a Python 3 kernel and stable cell ids."""
    nb = v4.new_notebook(cells=cells)
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python",
                                  "name": "python3"},
                   "language_info": {"name": "python"}}
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:02d}"      # stable ids: regenerating changes nothing
    return nb


def render(name: str) -> str:
    """The text of notebook `name` as this script writes it."""
    return nbformat.writes(notebook(NOTEBOOKS[name])) + "\n"


def main() -> None:
    for name in NOTEBOOKS:
        path = HERE / f"{name}.ipynb"
        path.write_text(render(name), encoding="utf-8")
        print("wrote", path.relative_to(HERE.parent))


if __name__ == "__main__":
    main()
