"""check_tape: the tape replay names the node whose backward is wrong (and the line that
created it), reports kinks as kinks, and complex-step derivatives are exact."""
import inspect
import time

import numpy as np
import pytest
from hypothesis import given, settings

import autograd as ag
from autograd import Function, GradcheckError, TapeCheckError, check_tape, record_sites
from autograd.check_tape import _COMPLEX_STEP, check_tape_report
from autograd.ops.shape import sum_to
from optable import rows


def here() -> int:
    """The line number of the caller's next line (where the op under test is called)."""
    return inspect.currentframe().f_back.f_lineno + 1


class Gelu(Function):
    """x sigmoid(1.702 x), with the right derivative."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * ag.sigmoid(1.702 * x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        s = ag.sigmoid(1.702 * x)
        return g * (s + 1.702 * x * s * (1 - s))


class BadGelu(Gelu):
    """The same forward with the product rule's second term forgotten."""

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ag.sigmoid(1.702 * x)


def leaf(*shape, seed=0, dtype=np.float64, scale=1.0):
    rng = np.random.default_rng(seed)
    return ag.tensor(scale * rng.standard_normal(shape).astype(dtype), requires_grad=True)


def deep_model(x, params, middle):
    """A 60-odd-op model: `middle` (a Function's apply) is called once, half-way."""
    h = x
    for k, (w, b) in enumerate(params):
        h = ag.tanh(h @ w + b) * 0.9 + ag.sin(h).sum(-1, keepdim=True) * 0.01
        a, c = h.chunk(2, dim=1)
        h = ag.cat([c * ag.sigmoid(a), ag.exp(-a * a)], dim=1)
        if k == 3:
            h = Gelu.apply(h)
        if k == len(params) // 2:
            h = middle(h)
    return (h.max(dim=1).values + ag.log1p(h * h).mean(1)).sum()


def deep_params(n_layers=8, width=6, dtype=np.float32):
    return [(leaf(width, width, seed=2 * k, dtype=dtype, scale=0.5),
             leaf(width, seed=2 * k + 1, dtype=dtype, scale=0.1)) for k in range(n_layers)]


# ---- a wrong custom Function inside a model ----------------------------------------------

def test_wrong_function_in_a_deep_model_is_named_with_its_line():
    x = ag.tensor(np.random.default_rng(9).standard_normal((4, 6)).astype(np.float32))
    params = deep_params()
    with record_sites():
        line = here()
        loss = deep_model(x, params, lambda h: BadGelu.apply(h))
    report = check_tape(loss, raise_exception=False)
    assert len(report.results) >= 50
    assert not report.skipped
    (bad,) = report.failures                       # that node and no other
    assert bad.op == "BadGelu"
    assert bad.filename == __file__ and bad.lineno == line
    assert "BadGelu.apply(h)" in bad.code
    assert bad.input_shapes == ((4, 6),)
    assert bad.n_failed == bad.n_checked == 24     # the derivative is wrong everywhere
    assert abs(bad.analytic - bad.numeric) > 100 * bad.allowed
    # the correct Function of the same model is checked and passes
    gelus = [r for r in report.results if r.op == "Gelu"]
    assert gelus and all(r.status == "ok" for r in gelus)


def test_check_tape_raises_naming_the_function_and_line():
    x = ag.tensor(np.random.default_rng(9).standard_normal((4, 6)))
    params = deep_params(dtype=np.float64)
    with record_sites():
        line = here()
        loss = deep_model(x, params, lambda h: BadGelu.apply(h))
    with pytest.raises(TapeCheckError) as e:
        check_tape(loss)
    msg = str(e.value)
    assert "BadGelu.backward" in msg and f"test_check_tape.py:{line}" in msg
    assert isinstance(e.value, GradcheckError)     # one except clause catches both checks


def test_the_same_model_with_a_correct_function_passes():
    x = ag.tensor(np.random.default_rng(9).standard_normal((4, 6)).astype(np.float32))
    with record_sites():
        loss = deep_model(x, deep_params(), lambda h: Gelu.apply(h))
    report = check_tape(loss)
    assert report.ok and not report.kinks and not report.skipped
    assert "every one of the" in str(report)
    for fast_mode in (True, False):                # no false alarm in either mode
        assert check_tape(loss, fast_mode=fast_mode).ok


def test_fast_mode_projections_still_name_the_node():
    x = ag.tensor(np.random.default_rng(1).standard_normal((32, 20)))
    w = leaf(20, 20, seed=3, scale=0.2)
    with record_sites():
        h = ag.tanh(x @ w)
        h = BadGelu.apply(h)                       # 640 elements: projected
        loss = (h * h).sum()
    report = check_tape(loss, fast_mode=True, raise_exception=False)
    assert [r.op for r in report.failures] == ["BadGelu"]
    bad = report.failures[0]
    assert bad.in_index is not None                # narrowed down to an element
    report = check_tape(loss, fast_mode=True, raise_exception=False, seed=1)
    assert [r.op for r in report.failures] == ["BadGelu"]


def test_inputs_too_large_to_narrow_down_report_the_projection():
    x = leaf(80, 60, seed=5)                       # 4800 elements > LOCATE_LIMIT
    with record_sites():
        loss = BadGelu.apply(x).sum()
    (bad,) = check_tape(loss, raise_exception=False).failures
    assert bad.in_index is None and bad.n_checked == 1
    assert "projected on a random v" in bad.describe()


# ---- a wrong rule in a built-in op -------------------------------------------------------

def sin_class():
    return type(ag.sin(ag.tensor(1.0, requires_grad=True)).grad_fn)


def test_wrong_builtin_rule_is_named_and_the_rest_pass(monkeypatch):
    x = leaf(3, 5, seed=4)
    w = leaf(5, 4, seed=5)
    with record_sites():
        h = ag.exp(ag.tanh(x @ w) * 0.5)
        line = here()
        y = ag.sin(h)
        loss = (ag.cos(y) + y * y).mean()
    monkeypatch.setattr(sin_class(), "backward",
                        staticmethod(lambda ctx, g: -g * ag.cos(ctx.inputs[0])))  # sign wrong
    report = check_tape(loss, raise_exception=False)
    (bad,) = report.failures
    assert bad.op == "Sin" and bad.lineno == line
    assert all(r.status == "ok" for r in report.results if r is not bad)
    # the analytic value is the wrong rule's: minus the numeric one
    assert bad.analytic == pytest.approx(-bad.numeric, rel=1e-6)


def test_gradcheck_locate_names_the_node():
    def fn(x, w):
        h = ag.tanh(x @ w)
        h = BadGelu.apply(h)
        return (h * h).sum()
    line = inspect.getsourcelines(fn)[1] + 2
    x, w = leaf(3, 4, seed=1), leaf(4, 5, seed=2)
    with pytest.raises(GradcheckError) as e:
        ag.gradcheck(fn, (x, w), locate=True)
    msg = str(e.value)
    assert "the mismatch comes from node 2, BadGelu.backward" in msg
    assert f"test_check_tape.py:{line}: h = BadGelu.apply(h)" in msg
    tape = e.value.report.tape
    assert [r.op for r in tape.failures] == ["BadGelu"]
    # without locate the report says nothing about nodes
    with pytest.raises(GradcheckError) as e:
        ag.gradcheck(fn, (x, w))
    assert "mismatch comes from" not in str(e.value)


def test_gradcheck_locate_at_a_kink_says_kink():
    x = ag.tensor([0.0, 1.5, -2.0], dtype=ag.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as e:
        ag.gradcheck(lambda x: ag.relu(x) * 2.0, x, locate=True)
    msg = str(e.value)
    assert "no op's backward is wrong" in msg and "Relu.backward" in msg and "kink" in msg


# ---- kinks --------------------------------------------------------------------------------

def only_node(report, op):
    (r,) = [r for r in report.results if r.op == op]
    return r


def test_relu_at_zero_is_a_kink_not_a_wrong_gradient():
    x = ag.tensor([0.0, 1.5, -2.0, 0.0], dtype=ag.float64, requires_grad=True)
    with record_sites():
        loss = (ag.relu(x) * ag.tensor([1.0, 2.0, 3.0, 4.0], dtype=ag.float64)).sum()
    report = check_tape(loss)                      # does not raise
    r = only_node(report, "Relu")
    assert r.status == "kink" and r.n_kinks == 2 and r.in_index in ((0,), (3,))
    # relu'(0) = 0 by convention; the central difference sees half the slope
    assert r.analytic == 0.0 and r.numeric == pytest.approx(0.5 * r.right)
    assert r.left == pytest.approx(0.0, abs=1e-9) and abs(r.right) > 0.4
    assert "Move the input off the kink" in str(report)


def test_relu_within_eps_of_zero_is_a_kink_too():
    x = ag.tensor([3e-7, 1.0], dtype=ag.float64, requires_grad=True)
    with record_sites():
        loss = ag.relu(x).sum()
    assert only_node(check_tape(loss), "Relu").status == "kink"


def test_abs_at_zero_and_clamp_at_its_bounds_are_kinks():
    x = ag.tensor([0.0, -1.0, 2.0, 0.5, 1.0], dtype=ag.float64, requires_grad=True)
    with record_sites():
        loss = (ag.abs(x) + ag.clamp(x, -1.0, 1.0) * 3.0).sum()
    report = check_tape(loss)
    assert only_node(report, "Abs").status == "kink"
    clamp = only_node(report, "Clamp")
    assert clamp.status == "kink" and clamp.n_kinks == 2      # x = -1 and x = 1
    assert not report.failures


def test_max_with_ties_is_a_kink():
    a = ag.tensor([1.0, 2.0, 3.0], dtype=ag.float64, requires_grad=True)
    b = ag.tensor([1.0, 0.0, 3.0], dtype=ag.float64, requires_grad=True)
    m = ag.tensor([[1.0, 4.0, 4.0], [0.5, 0.2, 0.1]], dtype=ag.float64, requires_grad=True)
    with record_sites():
        loss = ag.maximum(a, b).sum() + m.max(dim=1).values.sum() + m.max()
    report = check_tape(loss)
    assert only_node(report, "Maximum").n_kinks == 4          # two ties, both inputs
    assert only_node(report, "Maximum").status == "kink"
    assert all(r.status == "kink" for r in report.results if r.op == "Amax")
    assert not report.failures


def test_a_wrong_rule_is_not_excused_by_a_kink_nearby(monkeypatch):
    x = ag.tensor([0.0, 1.5, -2.0], dtype=ag.float64, requires_grad=True)
    with record_sites():
        loss = ag.relu(x).sum()
    relu = type(loss.grad_fn.next[0])
    assert relu.name == "Relu"
    monkeypatch.setattr(relu, "backward", staticmethod(lambda ctx, g: g * 1.0))  # identity
    r = only_node(check_tape(loss, raise_exception=False), "Relu")
    assert r.status == "wrong" and r.in_index == (2,) and r.n_kinks == 1


def test_steep_smooth_functions_are_not_kinks():
    x = ag.tensor([1e-3, 2e-3, 0.5], dtype=ag.float64, requires_grad=True)
    with record_sites():
        loss = (1.0 / x + ag.log(x) + ag.sqrt(x)).sum()
    report = check_tape(loss)
    assert not report.kinks and not report.failures


# ---- complex step -------------------------------------------------------------------------

def smooth_model(x, w, v):
    """Uses every built-in op declared analytic for the complex step."""
    h = x @ w + v - x @ w / 3.0
    h = ag.einsum("ij,jk->ik", h, w.T) ** 2 / (1.0 + x * x)
    h = ag.cat([ag.exp(h[:, :2]), ag.expm1(-h[:, 2:])], dim=1).permute(1, 0).reshape(-1)
    a, b = h.split(6)
    y = ag.sin(a) * ag.cos(b) + ag.tanh(a) - ag.arctan(b) + ag.sigmoid(a.flip(0))
    y = ag.where(y > 0, ag.log(1.0 + y * y), ag.log1p(y * y)) + ag.sqrt(2.0 + ag.sin(y))
    y = ag.broadcast_to(-y, (2, 6)).cumsum(1)
    return sum_to(y, (1, 6)).mean() + y.sum()


def test_complex_step_is_exact_and_agrees_with_central_differences():
    x, w, v = leaf(4, 3, seed=1), leaf(3, 3, seed=2, scale=0.5), leaf(3, seed=3)
    with record_sites():
        loss = smooth_model(x, w, v)
    cs = check_tape(loss, method="complex_step", fast_mode=False)
    ce = check_tape(loss, method="central", fast_mode=False)
    assert all(r.method == "complex_step" for r in cs.results), \
        [r.op for r in cs.results if r.method != "complex_step"]
    for r_cs, r_ce in zip(cs.results, ce.results):
        assert r_cs.op == r_ce.op and r_cs.status == r_ce.status == "ok"
        for i, (a, num) in r_cs.values.items():
            scale = 1.0 + np.abs(a).max()
            assert np.abs(a - num).max() <= 1e-12 * scale, r_cs.op          # exact
            _, num_ce = r_ce.values[i]
            assert np.abs(num - num_ce).max() <= 1e-6 * scale, r_cs.op      # same numbers
    # and central differences are far less accurate than the complex step
    assert max(r.max_err for r in ce.results) > 100 * max(r.max_err for r in cs.results)


def test_every_op_declared_for_the_complex_step_is_exercised():
    x, w, v = leaf(4, 3, seed=1), leaf(3, 3, seed=2, scale=0.5), leaf(3, seed=3)
    with record_sites():
        loss = smooth_model(x, w, v)
    nodes = []
    stack = [loss.grad_fn]
    while stack:
        n = stack.pop()
        if n not in nodes:
            nodes.append(n)
            stack += [e[0] if type(e) is tuple else e for e in n.next
                      if e is not None and not isinstance(e, ag.Tensor)]
    assert {(type(n).__module__, n.name) for n in nodes} >= _COMPLEX_STEP


def test_complex_step_falls_back_to_central_where_not_declared():
    x = leaf(5, seed=4)
    with record_sites():
        loss = (ag.relu(x) * ag.exp(x)).sum()
    report = check_tape(loss, method="complex_step")
    assert only_node(report, "Relu").method == "central"
    assert only_node(report, "Exp").method == "complex_step"


def test_functions_opt_in_to_the_complex_step():
    class Cube(Function):
        complex_step = True

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    class RealCube(Cube):
        """Declares the complex step but drops the imaginary part: not used."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.real((x * x * x).data)

    x = leaf(4, seed=6)
    with record_sites():
        loss = Cube.apply(x).sum() + RealCube.apply(x).sum()
    report = check_tape(loss, method="complex_step")
    assert only_node(report, "Cube").method == "complex_step"
    assert only_node(report, "Cube").max_err < 1e-12
    assert only_node(report, "RealCube").method == "central"


# ---- what cannot be replayed, side effects, errors -----------------------------------------

def test_outside_record_sites_only_parameterless_ops_are_replayed():
    x = leaf(3, 4)
    loss = ag.sin(x).sum(1).mean()                  # sum and mean have parameters
    report = check_tape(loss)
    assert only_node(report, "Sin").status == "ok" and only_node(report, "Sin").site == ""
    assert {r.op for r in report.skipped} == {"Sum", "Mean"}
    assert "record_sites()" in only_node(report, "Sum").reason
    assert not ag.grad_mode.STATE.sites


def test_inputs_changed_in_place_are_skipped_not_misjudged():
    x = leaf(3)
    with record_sites():
        h = x * 2.0
        y = h * h
        with ag.no_grad():
            h.data[...] = 0.0
            ag.bump_version(h)
    report = check_tape(y)
    assert report.results[0].status == "ok"      # x * 2: its input is intact
    skipped = [r for r in report.skipped if "in place" in r.reason]
    assert len(skipped) == 1 and skipped[0].index == 1


def test_batch_norm_running_stats_are_untouched_by_the_check():
    import nn
    bn = nn.BatchNorm1d(3).double()
    x = leaf(5, 3, seed=7)
    with record_sites():
        loss = (bn(x) ** 2).sum()
    mean, var = bn.running_mean.data.copy(), bn.running_var.data.copy()
    report = check_tape(loss)
    assert report.ok and not report.skipped
    np.testing.assert_array_equal(bn.running_mean.data, mean)
    np.testing.assert_array_equal(bn.running_var.data, var)


def test_bad_arguments():
    with pytest.raises(ValueError, match="none of the roots"):
        check_tape(ag.tensor(1.0))
    x = leaf(2)
    with pytest.raises(ValueError, match="method"):
        check_tape(x * 2, method="forward")
    with pytest.raises(ValueError, match="fast_mode"):
        check_tape(x * 2, fast_mode="sometimes")


def test_deep_chains_are_walked_without_recursion():
    x = leaf(2)
    h = x
    with record_sites():
        for _ in range(1500):                      # deeper than Python's recursion limit
            h = h * 1.0001
    report = check_tape(h.sum())
    assert len(report.results) == 1501 and report.ok


# ---- cost -----------------------------------------------------------------------------------

def test_cost_of_checking_the_digits_mlp(capsys):
    datasets = pytest.importorskip("sklearn.datasets")
    import nn
    import nn.functional as F
    xs, ys = datasets.load_digits(return_X_y=True)
    x = ag.tensor(((xs[:32] - 8.0) / 8.0).astype(np.float32))
    y = ag.tensor(ys[:32])
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 100), nn.ReLU(), nn.Linear(100, 10))
    with record_sites():
        loss = F.cross_entropy(model(x), y)
    start = time.perf_counter()
    report = check_tape(loss)
    t_nn = time.perf_counter() - start
    assert report.ok and not report.skipped

    # the same MLP in raw ops: a few dozen nodes
    (w1, b1), (w2, b2) = [(m.weight, m.bias) for m in (model[0], model[2])]
    with record_sites():
        h = ag.relu(x @ w1.T + b1)
        z = h @ w2.T + b2
        z = z - z.max(dim=1, keepdim=True).values
        logp = z - ag.log(ag.exp(z).sum(1, keepdim=True))
        loss = -logp[np.arange(32), y.data].mean() + 1e-4 * ((w1 * w1).sum() + (w2 * w2).sum())
    start = time.perf_counter()
    raw = check_tape(loss)
    t_raw = time.perf_counter() - start
    assert raw.ok
    with capsys.disabled():
        print(f"\ncheck_tape on the digits MLP (batch 32): nn.Linear + F.cross_entropy "
              f"{len(report.results)} nodes in {t_nn:.2f} s; raw ops {len(raw.results)} "
              f"nodes in {t_raw:.2f} s")


def test_casts_are_replayed_in_float64():
    x = leaf(3, 4, dtype=np.float32)
    with record_sites():
        loss = (ag.sin(x.double()) * 2.0).float().sum()
    report = check_tape(loss)
    assert report.ok and {r.op for r in report.results} >= {"Cast"}
    assert all(r.status == "ok" for r in report.results)


def test_both_backward_paths_are_checked():
    class TwoPaths(Function):
        """x^2 whose recorded (create_graph) backward forgets the factor 2."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x if ag.is_grad_enabled() else g * 2 * x

    x = leaf(3, seed=8)
    with record_sites():
        loss = TwoPaths.apply(x).sum()
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.data, 2 * x.data)     # plain backward is right
    (bad,) = check_tape(loss, raise_exception=False).failures
    assert bad.op == "TwoPaths" and bad.path.startswith("recorded backward")
    assert "recorded backward (create_graph=True)" in bad.describe()


def test_recurrent_layers_pass_node_by_node():
    import nn
    ag.manual_seed(0)
    xs = ag.randn(2, 3, 4).double()
    lstm, gru = nn.LSTM(4, 5, batch_first=True).double(), nn.GRU(4, 5).double()
    with record_sites():
        loss = lstm(xs)[0].pow(2).sum() + gru(xs)[0].tanh().sum()
    report = check_tape(loss)
    assert report.ok and not report.skipped
    assert {"LSTMStep", "RecurrentInput", "GRUStep"} <= {r.op for r in report.results}
    # each node names the module that ran it
    assert {r.module for r in report.results if r.op == "RecurrentInput"} == {"LSTM", "GRU"}


# ---- every op of the op table, replayed node by node ----------------------------------------

@pytest.mark.parametrize("row", [r for r in rows() if r.grad], ids=lambda r: r.label)
def test_every_table_op_replays_and_passes(row):
    @settings(max_examples=2)
    @given(row.inputs())
    def check(arrays):
        xs = [ag.tensor(a, dtype=ag.float64, requires_grad=True) for a in arrays]
        with record_sites():
            outs = row.fn(*xs)
        outs = outs if isinstance(outs, tuple) else (outs,)
        roots = [o for o in outs if isinstance(o, ag.Tensor) and o.grad_fn is not None]
        if not roots:
            return
        for method in ("central", "complex_step"):
            report = check_tape_report(*roots, method=method, atol=max(row.atol, 1e-5),
                                       rtol=max(row.rtol, 1e-3))
            assert report.ok and not report.skipped, f"{row.label} ({method}):\n{report}"
    check()


def test_gradient_graphs_are_checked_node_by_node_too():
    x = leaf(4, seed=11)
    with record_sites():
        y = (ag.sin(x) * ag.exp(x)).sum()
        (g,) = ag.grad(y, x, create_graph=True)     # the backward's own ops are recorded
        total = g.sum()
    report = check_tape(total)
    assert report.ok and not report.skipped
    assert {"Cos", "Mul", "Exp"} <= {r.op for r in report.results}


@pytest.mark.parametrize("n", [3, 400])   # element by element, and a random projection
def test_atol_zero_passes_exact_zeros_as_allclose_does(n):
    # an exactly-zero analytic and numeric derivative has error 0 <= allowed 0
    x = ag.tensor(np.linspace(0.1, 1.0, n), requires_grad=True)
    w = ag.tensor(np.where(np.arange(n) % 2, 2.0, 0.0))
    report = check_tape_report((x * w).sum(), atol=0.0)
    assert report.ok, report
