"""nn.functional: fused recurrent steps, the per-time-step ops behind nn.LSTM and nn.GRU.

One LSTM (GRU) time step is one node on the tape instead of a dozen, so the backward
through time that the engine runs over the tape pays one Python dispatch per step.
The input projection of every time step is done beforehand in one matmul by the
caller; a step gets its slice of it as ``gates_x``.

Each op's backward is written once, as `_lstm_vjp` / `_gru_vjp`, over operands that
support ``+ - * @``, slicing and ``reshape``.  It runs on ndarrays with the
activations saved by forward in the common first-order case (no per-op dispatch), and
on Tensors when the backward itself is recorded (``create_graph=True``), with the
activations recomputed as Tensor ops (from the GRU step's inputs, from the LSTM step's
pre-activation output), so second and higher derivatives are exact.

`RecurrentInput` is the input projection of all time steps in one matmul; for nn.LSTM
it also computes the recurrent weight's gradient of all steps in one matmul.
"""
from __future__ import annotations

import numpy as np

from autograd.grad_mode import STATE
from autograd.graph import Op, ShapeError, apply, register
from autograd.ops.elementwise import sigmoid, tanh
from autograd.ops.shape import cat
from autograd.tensor import Tensor, wrap

__all__ = ["lstm_step", "gru_step"]


def _sigmoid_into(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = 1 / (1 + e^-x) (out may be x): np.exp is about twice as fast as np.tanh,
    and e^-x overflowing to inf for x << 0 correctly gives 0."""
    np.negative(x, out=out)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1
    np.reciprocal(out, out=out)
    return out


def _recurrent_matmul(h: np.ndarray, w_t: np.ndarray, add: np.ndarray | None) -> np.ndarray:
    """h w_t + add, C-ordered.  For a 2-D h it is computed as (w_t^T h^T)^T: with the
    gate columns as BLAS's rows, OpenBLAS runs a small batch's product 1.2-1.8x faster
    (measured for batch 1-512, hidden 32-512), and the addition after it, needed anyway,
    writes the C-ordered result."""
    if h.ndim == 2 and add is not None:
        return np.add(np.matmul(w_t.T, h.T).T, add, order="C")
    z = h @ w_t
    if add is not None:
        z += add
    return z


def _cat_arrays(xs: list) -> np.ndarray:
    return np.concatenate(xs, axis=-1)


def _cat_tensors(xs: list) -> Tensor:
    return cat(xs, -1)


def _finish(grads: tuple, first_order: bool) -> tuple:
    return tuple(wrap(g) if first_order and g is not None else g for g in grads)


# ---- input projection ------------------------------------------------------------------

class RecurrentInput(Op):
    """gates_x = x W_ih^T + b for every time step at once: x (T*B, in), W_ih (G*H, in).

    Backward: dx = g W_ih, dW_ih = g^T x, db = sum of g over rows.  When the LSTM steps
    that read gates_x were made with ``defer_w=True``, this node also returns their
    weight's gradient in one matmul, dw_t = Hprev^T g with Hprev (T*B, H) the states the
    steps read (stored on the node by `defer_hidden_weight_grad` after the loop): g is
    exactly the concatenation of the steps' pre-activation gradients, so this replaces
    T small matmuls and T accumulations.  Only in first-order backward; when the
    backward is recorded each step returns its own dw_t as Tensor ops."""
    name = "RecurrentInput"

    @staticmethod
    def forward(ctx, x, w, b, w_t_hh):
        out = x @ w.T
        if b is not None:
            out += b   # fresh matmul result: add the bias in place
        return out

    @staticmethod
    def backward(ctx, g):
        x, w, _, _ = ctx.inputs
        need_x, need_w, need_b, need_hh = ctx.needs_input_grad
        if STATE.enabled:
            return (g @ w if need_x else None, g.T @ x if need_w else None,
                    g.sum(0) if need_b else None, None)
        gd = g.data
        return (wrap(gd @ w.data) if need_x else None,
                wrap(gd.T @ x.data) if need_w else None,
                wrap(gd.sum(0)) if need_b else None,
                wrap(ctx.extra[0].T @ gd) if need_hh else None)


def defer_hidden_weight_grad(gates_x: Tensor, hprev: list) -> None:
    """Give the RecurrentInput node that made `gates_x` the states its LSTM steps read
    (in time order), so it can return their weight's gradient in one matmul."""
    if gates_x.grad_fn is not None:
        gates_x.grad_fn.save(np.concatenate([h.data for h in hprev]))


# ---- LSTM ------------------------------------------------------------------------------

def _lstm_vjp(cat_, i, f, g, o, tc, c, h, w_t, gh, gc, gz, need: tuple) -> tuple:
    """Gradients of one LSTM step for inputs (gates_x, h, c, w_t).

    With z = gates_x + h w_t split into (i, f, g, o) pre-activations (h may be narrower
    than c: nn.LSTM's projected state),
    c' = f c + i g and h' = o tanh c' (gz: the gradient of the z output, if used):
        dc'   = gc + gh o (1 - tanh^2 c')
        dz    = [dc' g i(1-i),  dc' c f(1-f),  dc' i (1-g^2),  gh tanh(c') o(1-o)] + gz
        dh    = dz w_t^T,   dc = dc' f,   dw_t = h^T dz,   dgates_x = dz
    """
    H = tc.shape[-1]
    gct = gh * o * (1 - tc * tc) + gc
    dz = cat_([gct * g * i * (1 - i), gct * c * f * (1 - f), gct * i * (1 - g * g),
               gh * tc * o * (1 - o)])
    if gz is not None:
        dz = dz + gz
    return (dz if need[0] else None,
            dz @ w_t.T if need[1] else None,
            gct * f if need[2] else None,
            h.reshape(-1, h.shape[-1]).T @ dz.reshape(-1, 4 * H) if need[3] else None)


def _lstm_acts(z: Tensor, c: Tensor) -> tuple:
    """The step's activations from its pre-activation output, as Tensor ops."""
    H = c.shape[-1]
    i, f = sigmoid(z[..., :H]), sigmoid(z[..., H:2 * H])
    g, o = tanh(z[..., 2 * H:3 * H]), sigmoid(z[..., 3 * H:])
    return i, f, g, o, tanh(f * c + i * g)


class LSTMStep(Op):
    """One LSTM step, gate order (i, f, g, o) as in PyTorch:
    z = gates_x + h w_t;  c' = sigma(z_f) c + sigma(z_i) tanh(z_g);  h' = sigma(z_o) tanh(c').

    Outputs (h', c', z).  The recorded backward reads the activations off the z output
    instead of recomputing them from gates_x, so every gradient that reaches gates_x
    passes through this node's dz.  That is what lets nn.LSTM defer dw_t
    (``defer_w=True``) to its RecurrentInput node, which computes it for all steps at
    once from the gradient of gates_x."""
    name = "LSTMStep"

    @staticmethod
    def forward(ctx, gx, h, c, w_t, defer_w=False):
        ctx.defer_w = defer_w
        H = c.shape[-1]   # h is narrower under nn.LSTM's proj_size
        z = _recurrent_matmul(h, w_t, gx)
        # One sigmoid pass over the whole contiguous block (strided slices are slower),
        # then the g gate's slice overwritten by its tanh.
        a = _sigmoid_into(z, np.empty_like(z))
        np.tanh(z[..., 2 * H:3 * H], out=a[..., 2 * H:3 * H])
        c_new = a[..., H:2 * H] * c
        c_new += a[..., :H] * a[..., 2 * H:3 * H]
        tc = np.tanh(c_new)
        ctx.save(a, tc, z)
        return a[..., 3 * H:] * tc, c_new, z

    @staticmethod
    def backward(ctx, gh, gc, gz):
        _, h, c, w_t = ctx.inputs
        first = not STATE.enabled  # backward not recorded: vjp on saved ndarrays
        a, tc, z = ctx.extra
        if first:
            H = tc.shape[-1]
            acts = (a[..., :H], a[..., H:2 * H], a[..., 2 * H:3 * H], a[..., 3 * H:], tc)
            h, c, w_t = h.data, c.data, w_t.data
            gh, gc, gz = (None if t is None else t.data for t in (gh, gc, gz))
            cat_ = _cat_arrays
        else:
            z_out = wrap(z, ctx)    # this node's third output, so its gradient comes back here
            z_out._out_idx = 2
            acts = _lstm_acts(z_out, c)
            cat_ = _cat_tensors
        if gh is None or gc is None:   # an unused output: its gradient is zero
            zero = np.zeros_like(tc) if first else wrap(np.zeros_like(tc))
            gh = zero if gh is None else gh
            gc = zero if gc is None else gc
        need = ctx.needs_input_grad
        if first and ctx.defer_w:   # the RecurrentInput node computes dw_t for all steps
            need = need[:3] + (False,)
        return _finish(_lstm_vjp(cat_, *acts, c, h, w_t, gh, gc, gz, need), first)


def _check_step(op: str, gates: int, gates_x: Tensor, states: tuple, weight: Tensor) -> int:
    """H (the last state's width) after checking the shapes; the first state, h, may be
    narrower (width P, LSTM with projection): weight_hh is then (gates*H, P)."""
    H, P = states[-1].shape[-1], states[0].shape[-1]
    lead = gates_x.shape[:-1]
    if gates_x.shape[-1] != gates * H or states[0].shape != lead + (P,) \
            or any(s.shape != lead + (H,) for s in states[1:]) or weight.shape != (gates * H, P):
        raise ShapeError(
            f"{op}: expected gates_x (..., {gates}*H), states (..., H) with the same leading "
            f"shape and weight_hh ({gates}*H, H)"
            + (" (or h (..., P) and weight_hh (4*H, P))" if len(states) == 2 else "")
            + f"; got gates_x {tuple(gates_x.shape)}, states "
            f"{[tuple(s.shape) for s in states]}, weight_hh {tuple(weight.shape)}")
    return H


@register(name="lstm_step")
def lstm_step(gates_x: Tensor, h: Tensor, c: Tensor, weight_hh: Tensor) -> tuple:
    """One LSTM time step from precomputed input gates; returns ``(h', c')``.

    `gates_x` is ``x @ weight_ih.T + bias_ih + bias_hh`` (shape (..., 4H), gate order
    i, f, g, o), `h` and `c` are (..., H), `weight_hh` is (4H, H) (PyTorch's layout; a
    projected `h` (..., P) goes with `weight_hh` (4H, P)):
        i, f, g, o = split(gates_x + h @ weight_hh.T);  c' = s(f) c + s(i) tanh(g);
        h' = s(o) tanh(c')
    """
    _check_step("lstm_step", 4, gates_x, (h, c), weight_hh)
    h_new, c_new, _ = apply(LSTMStep, gates_x, h, c, weight_hh.T)
    return h_new, c_new


# ---- GRU -------------------------------------------------------------------------------

def _gru_vjp(cat_, r, z, n, hn, h, w_t, gh, need: tuple) -> tuple:
    """Gradients of one GRU step for inputs (gates_x, h, w_t, b_hh).

    With hg = h w_t + b_hh, r = s(x_r + hg_r), z = s(x_z + hg_z),
    n = tanh(x_n + r hg_n), h' = n + z (h - n):
        dn = gh (1-z)(1-n^2),  dz = gh (h-n) z(1-z),  dr = dn hg_n r(1-r)
        dgates_x = [dr, dz, dn],  dhg = [dr, dz, dn r]
        dh = gh z + dhg w_t^T,  dw_t = h^T dhg,  db_hh = sum dhg
    """
    H = n.shape[-1]
    dnp = gh * (1 - z) * (1 - n * n)
    dzp = gh * (h - n) * z * (1 - z)
    drp = dnp * hn * r * (1 - r)
    dhg = cat_([drp, dzp, dnp * r])
    flat = dhg.reshape(-1, 3 * H)
    return (cat_([drp, dzp, dnp]) if need[0] else None,
            gh * z + dhg @ w_t.T if need[1] else None,
            h.reshape(-1, H).T @ flat if need[2] else None,
            flat.sum(0) if need[3] else None)


def _gru_acts(gx: Tensor, h: Tensor, w_t: Tensor, b: Tensor | None) -> tuple:
    """r, z, n and the hidden part of n's pre-activation as differentiable Tensor ops."""
    H = h.shape[-1]
    hg = h @ w_t if b is None else h @ w_t + b
    r = sigmoid(gx[..., :H] + hg[..., :H])
    z = sigmoid(gx[..., H:2 * H] + hg[..., H:2 * H])
    hn = hg[..., 2 * H:]
    return r, z, tanh(gx[..., 2 * H:] + r * hn), hn


class GRUStep(Op):
    """One GRU step, gate order (r, z, n) as in PyTorch, b_hh inside the reset gate:
    hg = h w_t + b_hh;  r, z = sigma(x_rz + hg_rz);  n = tanh(x_n + r hg_n);
    h' = (1 - z) n + z h."""
    name = "GRUStep"

    @staticmethod
    def forward(ctx, gx, h, w_t, b):
        H = h.shape[-1]
        hg = _recurrent_matmul(h, w_t, b)
        rz = gx[..., :2 * H] + hg[..., :2 * H]
        _sigmoid_into(rz, rz)
        hn = hg[..., 2 * H:]
        n = rz[..., :H] * hn
        n += gx[..., 2 * H:]
        np.tanh(n, out=n)
        out = h - n
        out *= rz[..., H:]
        out += n
        ctx.save(rz, n, hn)
        return out

    @staticmethod
    def backward(ctx, gh):
        gx, h, w_t, b = ctx.inputs
        first = not STATE.enabled  # backward not recorded: vjp on saved ndarrays
        if first:
            rz, n, hn = ctx.extra
            H = n.shape[-1]
            acts = (rz[..., :H], rz[..., H:], n, hn)
            h, w_t, gh = h.data, w_t.data, gh.data
            cat_ = _cat_arrays
        else:
            acts = _gru_acts(gx, h, w_t, b)
            cat_ = _cat_tensors
        return _finish(_gru_vjp(cat_, *acts, h, w_t, gh, ctx.needs_input_grad), first)


@register(name="gru_step")
def gru_step(gates_x: Tensor, h: Tensor, weight_hh: Tensor,
             bias_hh: Tensor | None = None) -> Tensor:
    """One GRU time step from precomputed input gates; returns h'.

    `gates_x` is ``x @ weight_ih.T + bias_ih`` (shape (..., 3H), gate order r, z, n),
    `h` is (..., H), `weight_hh` (3H, H) and `bias_hh` (3H,) or None.  PyTorch's GRU:
        r = s(x_r + W_hr h + b_hr),  z = s(x_z + W_hz h + b_hz),
        n = tanh(x_n + r (W_hn h + b_hn)),  h' = (1 - z) n + z h
    """
    H = _check_step("gru_step", 3, gates_x, (h,), weight_hh)
    if bias_hh is not None and bias_hh.shape != (3 * H,):
        raise ShapeError(f"gru_step: bias_hh must have shape ({3 * H},), got "
                         f"{tuple(bias_hh.shape)}")
    return apply(GRUStep, gates_x, h, weight_hh.T, bias_hh)
