"""helpers.autograd.Value against torch.autograd on many random expressions."""

import math
import random

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.autograd import Value

UNARY = ["exp", "log", "tanh", "sigmoid", "relu", "neg", "pow2", "pow3", "sqrt", "inv"]
BINARY = ["add", "mul", "sub", "div", "radd", "rmul", "rsub", "rdiv"]


def apply_unary(op, x, torch_mode):
    """One unary op, kept inside its domain (log, sqrt and 1/x get positive input)."""
    if op == "exp":
        return x.tanh().exp()
    if op == "log":
        return (x * x + 0.5).log()
    if op == "tanh":
        return x.tanh()
    if op == "sigmoid":
        return torch.sigmoid(x) if torch_mode else x.sigmoid()
    if op == "relu":
        return torch.relu(x) if torch_mode else x.relu()
    if op == "neg":
        return -x
    if op == "pow2":
        return x**2
    if op == "pow3":
        return x.tanh() ** 3
    if op == "sqrt":
        return (x * x + 1.0) ** 0.5
    return 1.0 / (x * x + 1.0)  # "inv"


def apply_binary(op, x, y, c):
    """One binary op; ``c`` is a plain Python constant for the reflected forms."""
    return {
        "add": lambda: x + y,
        "mul": lambda: x * y,
        "sub": lambda: x - y,
        "div": lambda: x / (y * y + 1.0),
        "radd": lambda: c + x,
        "rmul": lambda: c * x,
        "rsub": lambda: c - x,
        "rdiv": lambda: c / (x * x + 1.0),
    }[op]()


def build(seed):
    """A random expression over 4 leaves, built twice: with Value and with torch."""
    rng = random.Random(seed)
    leaves = [rng.uniform(-2, 2) for _ in range(4)]
    ours = [Value(v) for v in leaves]
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in leaves]
    pool_ours, pool_theirs = list(ours), list(theirs)
    for _ in range(rng.randint(3, 25)):
        if rng.random() < 0.5:
            op = rng.choice(UNARY)
            i = rng.randrange(len(pool_ours))
            pool_ours.append(apply_unary(op, pool_ours[i], False))
            pool_theirs.append(apply_unary(op, pool_theirs[i], True))
        else:
            op, c = rng.choice(BINARY), rng.uniform(-2, 2)
            i, j = rng.randrange(len(pool_ours)), rng.randrange(len(pool_ours))
            pool_ours.append(apply_binary(op, pool_ours[i], pool_ours[j], c))
            pool_theirs.append(apply_binary(op, pool_theirs[i], pool_theirs[j], c))
    # the output mixes the last node with every leaf so that every leaf matters
    out_ours = pool_ours[-1] + sum(ours) * 0.1
    out_theirs = pool_theirs[-1] + sum(theirs) * 0.1
    return ours, out_ours, theirs, out_theirs


@pytest.mark.parametrize("seed", range(300))
def test_random_expression_matches_torch(seed):
    ours, out_ours, theirs, out_theirs = build(seed)
    out_ours.backward()
    out_theirs.backward()
    torch.testing.assert_close(out_ours.data, out_theirs.item(), rtol=1e-12, atol=1e-12)
    for leaf, ref in zip(ours, theirs, strict=True):
        torch.testing.assert_close(leaf.grad, ref.grad.item(), rtol=1e-9, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    a=st.floats(-5, 5, allow_nan=False),
    b=st.floats(-5, 5, allow_nan=False),
    op=st.sampled_from(["add", "mul", "sub", "div"]),
)
def test_binary_ops_match_torch(a, b, op):
    if op == "div" and abs(b) < 1e-3:
        b = 1.0
    x, y = Value(a), Value(b)
    tx, ty = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (a, b))
    fn = {
        "add": lambda p, q: p + q,
        "mul": lambda p, q: p * q,
        "sub": lambda p, q: p - q,
        "div": lambda p, q: p / q,
    }[op]
    out, ref = fn(x, y), fn(tx, ty)
    out.backward()
    ref.backward()
    torch.testing.assert_close(out.data, ref.item(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(x.grad, tx.grad.item(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(y.grad, ty.grad.item(), rtol=1e-12, atol=1e-12)


def test_reused_node_accumulates_both_paths():
    """Chain rule case 2: z = k(g(s), h(s)) sums the two paths."""
    s = Value(0.7)
    z = (s * s) * s.exp()  # g(s) = s^2, h(s) = e^s, k = g·h
    z.backward()
    expected = (2 * 0.7 + 0.7**2) * math.exp(0.7)
    assert s.grad == pytest.approx(expected, rel=1e-12)


def test_leaf_gradients_accumulate_like_torch_until_zeroed():
    """The zero_grad lesson of 05_backprop: a second backward() adds to .grad."""
    a, ta = Value(1.5), torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    out, tout = (a * a).tanh() * 3, (ta * ta).tanh() * 3
    out.backward()
    first = a.grad
    out.backward()
    tout.backward(retain_graph=True)
    tout.backward()
    assert a.grad == pytest.approx(2 * first, rel=1e-12)
    assert a.grad == pytest.approx(ta.grad.item(), rel=1e-12)
    a.grad = 0.0  # zero_grad
    out.backward()
    assert a.grad == pytest.approx(first, rel=1e-12)  # inner nodes restart from zero


def test_topological_order_puts_inputs_first():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    order = d.topological_order()
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for child in node._prev:
            assert position[id(child)] < position[id(node)]
    assert order[-1] is d and len(order) == 4


def test_deep_chain_does_not_hit_the_recursion_limit():
    x = Value(0.5)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001**5000, rel=1e-9)


def test_relu_gradient_at_zero_is_zero_like_torch():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0


def test_sigmoid_is_finite_for_large_inputs():
    assert Value(-800.0).sigmoid().data == pytest.approx(0.0)
    assert Value(800.0).sigmoid().data == 1.0


# --- bad input ---------------------------------------------------------------
@pytest.mark.parametrize("data", ["1", None, [1.0], True])
def test_non_numbers_are_rejected(data):
    with pytest.raises(TypeError, match="real number"):
        Value(data)


@pytest.mark.parametrize("data", [math.nan, math.inf])
def test_non_finite_data_is_rejected(data):
    with pytest.raises(ValueError, match="finite"):
        Value(data)


def test_adding_a_string_is_a_type_error():
    with pytest.raises(TypeError, match="real number"):
        Value(1.0) + "2"


def test_value_exponent_is_a_type_error():
    with pytest.raises(TypeError, match="exponent"):
        Value(2.0) ** Value(2.0)


@pytest.mark.parametrize(
    "make, error",
    [
        (lambda: Value(0.0).log(), ValueError),
        (lambda: Value(-1.0).log(), ValueError),
        (lambda: Value(1.0) / 0, ValueError),
        (lambda: 1.0 / Value(0.0), ValueError),
        (lambda: Value(1000.0).exp(), OverflowError),
        (lambda: Value(-2.0) ** 0.5, ValueError),  # would be a complex number
        (lambda: Value(0.0) ** -1, ValueError),
    ],
)
def test_out_of_domain_operations_raise_python_math_errors(make, error):
    with pytest.raises(error):
        make()


def test_operations_carry_no_checks_but_backward_checks_once():
    big = Value(1e200) * Value(1e200)  # inf: no check inside the operation
    assert math.isinf(big.data)
    with pytest.raises(ValueError, match="non-finite value.*'\\*'"):
        (big + 1).backward()


def test_the_engine_stays_small():
    from pathlib import Path

    import helpers.autograd

    lines = Path(helpers.autograd.__file__).read_text(encoding="utf-8").splitlines()
    assert len([line for line in lines if line.strip()]) <= 120  # reads like micrograd
    start = lines.index("    def __add__(self, other) -> Value:")
    end = lines.index("    def topological_order(self) -> list[Value]:")
    assert "isfinite" not in "\n".join(lines[start:end])  # no check inside operations


# --- the graph picture and the exercise checker of 05_backprop ------------------
def test_draw_graph_shows_every_node_with_value_and_grad():
    from matplotlib.figure import Figure

    from helpers.plotting.autograd import draw_graph, graph_layout

    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b + a).tanh()
    out.backward()
    positions = graph_layout(out)
    assert positions[id(a)][0] == 0 and positions[id(out)][0] == 3
    fig = draw_graph(out)
    assert isinstance(fig, Figure)
    texts = [t.get_text() for t in fig.axes[0].texts if t.get_text()]
    assert len(texts) == 5
    assert any(f"grad={a.grad:.4g}" in t and t.startswith("a") for t in texts)


def test_draw_graph_rejects_non_values_and_huge_graphs():
    from helpers.plotting.autograd import draw_graph

    with pytest.raises(TypeError, match="root must be a Value"):
        draw_graph(3.0)
    x = Value(1.0)
    for _ in range(50):
        x = x + 1
    with pytest.raises(ValueError, match="at most 40"):
        draw_graph(x)


def test_power_edge_cases():
    zero = Value(0.0)
    (zero**0).backward()
    assert zero.grad == 0.0  # x**0 = 1 is flat
    with pytest.raises(OverflowError):
        Value(1e200) ** 2
