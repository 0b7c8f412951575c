"""02_leaf_flower: the data, the 4-3-2 network (checked against torch), training,
figures, the panel and the exercise checkers."""

import html
import subprocess
import sys

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from helpers.checks import nb02
from helpers.data import leaf_flower as data
from helpers.plotting import leaf_flower as plots
from helpers.scratch import tiny_net
from helpers.widgets import leaf_flower as panels


# --- data ------------------------------------------------------------------------
def test_seed_rows():
    rows = data.seed_rows()
    assert rows.X.shape == (6, 4) and len(rows) == 6
    assert [data.CLASS_NAMES[i] for i in rows.y] == [
        "flower",
        "flower",
        "leaf",
        "leaf",
        "flower",
        "flower",
    ]


def test_committed_csv_is_what_the_generator_makes():
    committed = data.load_csv()
    made = data.generate(n_per_class=150, seed=4)
    np.testing.assert_array_equal(committed.X, made.X)
    np.testing.assert_array_equal(committed.y, made.y)
    assert np.bincount(committed.y).tolist() == [150, 150]


def test_generator_is_deterministic_and_seeded():
    a, b = data.generate(20, seed=7), data.generate(20, seed=7)
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, data.generate(20, seed=8).X)
    assert a.X[:, :3].min() >= 0 and a.X[:, :3].max() <= 255
    # leaves are green-dominant, flowers red-dominant: a line can split them
    green_minus_red = a.X[:, 1] - a.X[:, 0]
    assert np.all((green_minus_red > 0) == (a.y == 0))


def test_csv_round_trip_and_script(tmp_path):
    path = data.write_csv(data.generate(5, seed=1), tmp_path / "x.csv")
    back = data.read_csv(path)
    np.testing.assert_array_equal(back.X, data.generate(5, seed=1).X)
    out = tmp_path / "made.csv"
    result = subprocess.run(
        [sys.executable, str(data.CSV_PATH.parent / "make_leaf_flower.py"), str(out)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and "300 rows" in result.stdout
    assert out.read_bytes() == data.CSV_PATH.read_bytes()  # the committed file


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("a,b\n1,2\n", "header"),
        ("R,G,B,volume,label\n1,2,3,4,tree\n", "line 2"),
        ("R,G,B,volume,label\n1,x,3,4,leaf\n", "non-numeric"),
        ("R,G,B,volume,label\n", "no rows"),
    ],
)
def test_read_csv_bad_files(tmp_path, text, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        data.read_csv(path)


def test_read_csv_missing_file(tmp_path):
    with pytest.raises(ValueError, match="make_leaf_flower"):
        data.read_csv(tmp_path / "none.csv")


def test_generate_bad_input():
    with pytest.raises(ValueError, match="n_per_class"):
        data.generate(0)
    with pytest.raises(TypeError, match="integer"):
        data.generate(2.5)


def test_hex_to_rgb():
    assert data.hex_to_rgb("#206b38") == (32, 107, 56)
    assert data.hex_to_rgb("#f1c804") == (241, 200, 4)
    assert data.hex_to_rgb("red") == (255, 0, 0)
    with pytest.raises(ValueError, match="hex string"):
        data.hex_to_rgb("#12345")
    with pytest.raises(TypeError, match="string"):
        data.hex_to_rgb((1, 2, 3))


# --- the seed's worked example --------------------------------------------------
def test_seed_network_reproduces_the_seed_numbers():
    net = tiny_net.seed_network()
    fp = tiny_net.forward(net, data.LEAF, activation="identity")
    np.testing.assert_allclose(fp.hidden_pre[0], [-26.6, 2.52, -47.1], atol=0.005)
    np.testing.assert_allclose(fp.logits[0], [0.8, 0.2], atol=0.005)
    relu_hidden = tiny_net.forward(net, data.LEAF).hidden[0]
    np.testing.assert_allclose(relu_hidden, [0.0, 2.52, 0.0], atol=1e-9)
    np.testing.assert_allclose(
        tiny_net.forward(net, data.LEAF).probs.sum(), 1.0, rtol=1e-12
    )


@pytest.mark.parametrize("activation", ["relu", "identity", "sigmoid"])
def test_forward_by_hand_equals_matrix_form(activation):
    net = tiny_net.init_params(seed=3)
    x = np.array(data.FLOWER)
    hidden, outputs = tiny_net.forward_by_hand(net, x, activation)
    fp = tiny_net.forward(net, x, activation)
    np.testing.assert_allclose(hidden, fp.hidden[0], rtol=1e-12)
    np.testing.assert_allclose(outputs, fp.logits[0], rtol=1e-12)


def _torch_net(net):
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2)
    ).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor(net.W1))
        model[0].bias.copy_(torch.tensor(net.b1))
        model[2].weight.copy_(torch.tensor(net.W2))
        model[2].bias.copy_(torch.tensor(net.b2))
    return model


def test_forward_matches_torch():
    net = tiny_net.init_params(seed=5)
    X = tiny_net.scale_inputs(data.load_csv().X[:20])
    model = _torch_net(net)
    with torch.no_grad():
        logits = model(torch.tensor(X))
    fp = tiny_net.forward(net, X)
    torch.testing.assert_close(fp.logits, logits.numpy())
    torch.testing.assert_close(fp.probs, torch.softmax(logits, -1).numpy())


def test_loss_and_gradients_match_autograd():
    net = tiny_net.init_params(seed=2)
    rows = data.load_csv()
    X, y = tiny_net.scale_inputs(rows.X[:40]), rows.y[:40]
    model = _torch_net(net)
    probs = torch.softmax(model(torch.tensor(X)), -1)
    targets = torch.nn.functional.one_hot(torch.tensor(y), 2).double()
    torch_loss = (probs - targets).abs().sum() / len(y)
    torch_loss.backward()
    assert tiny_net.loss(net, X, y) == pytest.approx(torch_loss.item(), rel=1e-12)
    grads = tiny_net.gradients(net, X, y)
    torch.testing.assert_close(grads.W1, model[0].weight.grad.numpy())
    torch.testing.assert_close(grads.b1, model[0].bias.grad.numpy())
    torch.testing.assert_close(grads.W2, model[2].weight.grad.numpy())
    torch.testing.assert_close(grads.b2, model[2].bias.grad.numpy())


def test_seed_l1_example_and_update():
    assert tiny_net.l1_loss_per_sample([[0.6, 0.4]], [[1.0, 0.0]])[0] == pytest.approx(
        0.8
    )
    net = tiny_net.TinyNet(np.full((3, 4), 0.17), np.zeros(3), np.ones((2, 3)), [0, 0])
    grads = tiny_net.TinyNet(
        np.full((3, 4), 200.0), np.zeros(3), np.zeros((2, 3)), [0, 0]
    )
    stepped = tiny_net.sgd_step(net, grads, 0.01)
    np.testing.assert_allclose(stepped.W1, -1.83)
    np.testing.assert_allclose(stepped.W2, 1.0)


def test_one_hot():
    np.testing.assert_array_equal(tiny_net.one_hot([0, 1, 1]), [[1, 0], [0, 1], [0, 1]])
    with pytest.raises(ValueError, match="0..1"):
        tiny_net.one_hot([0, 2])


def test_training_reaches_high_accuracy():
    rows = data.load_csv()
    X = tiny_net.scale_inputs(rows.X)
    net = tiny_net.init_params(seed=0)
    before = tiny_net.accuracy(net, X, rows.y)
    trained, history = tiny_net.train(net, X, rows.y, lr=1.0, steps=150)
    assert len(history) == 150
    assert history[-1] < 0.1 * history[0]
    assert tiny_net.accuracy(trained, X, rows.y) >= 0.97 > before
    held_out = data.generate(50, seed=5)
    assert (
        tiny_net.accuracy(trained, tiny_net.scale_inputs(held_out.X), held_out.y)
        >= 0.95
    )
    seed = data.seed_rows()
    assert tiny_net.accuracy(trained, tiny_net.scale_inputs(seed.X), seed.y) == 1.0
    assert tiny_net.accuracy(net, X, rows.y) == before  # train() did not modify net


def test_n_parameters_and_sizes():
    net = tiny_net.seed_network()
    assert net.sizes == (4, 3, 2)
    assert net.n_parameters() == 4 * 3 + 3 + 3 * 2 + 2


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda n: tiny_net.forward(n, [1.0, 2.0, 3.0]),
            ValueError,
            "4 numbers per row",
        ),
        (lambda n: tiny_net.forward(n, [1.0, np.nan, 3.0, 4.0]), ValueError, "finite"),
        (lambda n: tiny_net.forward(n, [1, 2, 3, 4], "nope"), ValueError, "unknown"),
        (lambda n: tiny_net.forward("net", [1, 2, 3, 4]), TypeError, "TinyNet"),
        (lambda n: tiny_net.loss(n, np.ones((2, 4)), [0]), ValueError, "one label"),
        (lambda n: tiny_net.loss(n, np.ones((2, 4)), [0, 3]), ValueError, "0..1"),
        (lambda n: tiny_net.loss(n, np.ones((2, 4)), [0.0, 1.0]), TypeError, "integer"),
        (lambda n: tiny_net.train(n, np.ones((2, 4)), [0, 1], lr=-1), ValueError, "lr"),
        (
            lambda n: tiny_net.train(n, np.ones((2, 4)), [0, 1], steps=-1),
            ValueError,
            "steps",
        ),
        (
            lambda n: tiny_net.sgd_step(n, tiny_net.init_params((4, 5, 2)), 0.1),
            ValueError,
            "sizes",
        ),
        (
            lambda n: tiny_net.forward_by_hand(n, np.ones((2, 4))),
            ValueError,
            "one input",
        ),
        (lambda n: tiny_net.scale_inputs(np.ones((2, 3))), ValueError, "4 columns"),
        (lambda n: tiny_net.init_params((4, 3)), ValueError, "n_in, n_hidden"),
        (
            lambda n: tiny_net.TinyNet(
                np.ones((3, 4)), np.ones(2), np.ones((2, 3)), np.ones(2)
            ),
            ValueError,
            "b1",
        ),
        (
            lambda n: tiny_net.TinyNet(
                np.ones((3, 4)), np.ones(3), np.ones((2, 2)), np.ones(2)
            ),
            ValueError,
            "W2",
        ),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call(tiny_net.seed_network())


# --- figures ---------------------------------------------------------------------
def test_figures_build():
    rows = data.load_csv()
    assert isinstance(
        plots.plot_swatches([data.LEAF, data.FLOWER], ["leaf", "flower"]), Figure
    )
    assert isinstance(plots.plot_dataset(rows.X, rows.y, data.seed_rows().X), Figure)
    assert isinstance(plots.plot_probabilities([0.646, 0.354]), Figure)
    assert isinstance(plots.plot_loss_curve([1.0, 0.5, 0.2], [0.5, 0.8, 1.0]), Figure)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: plots.plot_swatches([data.LEAF], ["a", "b"]), "names"),
        (lambda: plots.plot_swatches([[300, 0, 0, 1]], ["x"]), "0..255"),
        (lambda: plots.plot_dataset(np.ones((3, 3)), [0, 1, 0]), r"\(N, 4\)"),
        (lambda: plots.plot_dataset(np.ones((3, 4)), [0, 1]), "y must have shape"),
        (lambda: plots.plot_probabilities([0.5, 0.5], ["a"]), "names"),
        (lambda: plots.plot_loss_curve([1.0, 0.5], [1.0]), "one value per step"),
    ],
)
def test_figures_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- the panel -------------------------------------------------------------------
def test_predict_object():
    net = tiny_net.seed_network()
    hidden, probs, label = panels.predict_object(net, "#206b38", 11.2)
    expected = tiny_net.forward(net, tiny_net.scale_inputs(data.LEAF))
    np.testing.assert_allclose(hidden, expected.hidden[0])
    np.testing.assert_allclose(probs, expected.probs[0])
    assert label in data.CLASS_NAMES
    with pytest.raises(ValueError, match="hex"):
        panels.predict_object(net, "#zzzzzz", 11.2)
    with pytest.raises(ValueError, match="volume"):
        panels.predict_object(net, "#206b38", -1.0)


def test_panel_shows_the_network_and_trains():
    panel = panels.LeafFlowerPanel()
    hidden, probs, _ = panels.predict_object(panel.net, "#206b38", 11.2)
    heights = [bar.get_height() for bar in panel._prob_bars]
    np.testing.assert_allclose(heights, probs)
    panel.controls["lr"].value = 1.0
    panel.controls["steps"].value = 100
    panel.controls["train"].click()
    assert len(panel.history) == 101
    assert panel.history[-1] < panel.history[0]
    x, y = panel._loss_line.get_data()
    assert len(x) == 101 and y[-1] == panel.history[-1]
    panel.controls["color"].value = "#f1c804"  # the sunflower's yellow
    panel.controls["volume"].value = 59.5
    assert "flower" in html.unescape(panel.readout.value)
    panel.controls["reset"].click()
    assert len(panel.history) == 1
    assert panel.status.value == ""


def test_panel_accepts_colour_names():
    panel = panels.LeafFlowerPanel()
    before = panel.readout.value
    panel.controls["color"].value = "red"  # the picker also takes HTML names
    assert panel.status.value == "" and panel.readout.value != before
    np.testing.assert_allclose(panel._swatch.get_facecolor()[:3], [1.0, 0.0, 0.0])


# --- checkers ------------------------------------------------------------------
def _not_done(*args):
    raise NotImplementedError


def test_checkers_accept_right_and_reject_wrong(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(tmp_path / "progress.json"))

    def stable(z, T):
        u = z / T
        e = np.exp(u - u.max())
        return e / e.sum()

    assert nb02.check_softmax_temperature(stable, quiet=True)
    with np.errstate(over="ignore", invalid="ignore"):
        naive = nb02.check_softmax_temperature(
            lambda z, T: np.exp(z / T) / np.exp(z / T).sum(), quiet=True
        )
    assert not naive.passed and "1000" in naive.message  # caught on [1000, 1001]
    assert not nb02.check_softmax_temperature(_not_done, quiet=True).attempted
    assert nb02.check_batch_l1(
        lambda p, y: np.abs(np.eye(p.shape[1])[y] - p).sum(axis=1).mean(), quiet=True
    )
    assert not nb02.check_batch_l1(
        lambda p, y: np.abs(np.eye(p.shape[1])[y] - p).sum(), quiet=True
    )
    assert nb02.check_forward(
        lambda x, W1, b1, W2, b2: W2 @ np.maximum(0, W1 @ x + b1) + b2, quiet=True
    )
    assert not nb02.check_forward(
        lambda x, W1, b1, W2, b2: W2 @ (W1 @ x + b1) + b2, quiet=True
    )

    def descend(w0, lr, steps):
        w = w0
        for _ in range(steps):
            w -= lr * 2 * (w - 3)
        return w

    assert nb02.check_descend(descend, quiet=True)
    assert not nb02.check_descend(lambda w0, lr, steps: 3.0, quiet=True)
    assert not nb02.check_descend(_not_done, quiet=True).attempted


def test_gradient_descent_on_a_parabola():
    path = tiny_net.gradient_descent(lambda w: 2 * (w - 3), 0.0, 0.1, 50)
    assert len(path) == 51 and path[0] == 0.0
    assert abs(path[-1] - 3.0) < 1e-4
    assert tiny_net.gradient_descent(
        lambda w: 2 * (w - 3), 0.0, 0.1, 1
    ) == pytest.approx([0.0, 0.6])
    diverged = tiny_net.gradient_descent(lambda w: 2 * (w - 3), 0.0, 1.1, 20)
    assert abs(diverged[-1] - 3.0) > abs(diverged[1] - 3.0)  # lr too large
    with pytest.raises(TypeError, match="grad"):
        tiny_net.gradient_descent(3.0, 0.0, 0.1, 5)
    with pytest.raises(ValueError, match="lr"):
        tiny_net.gradient_descent(lambda w: w, 0.0, 0.0, 5)


def test_cross_entropy_gradients_match_autograd():
    net = tiny_net.init_params(seed=3)
    rows = data.load_csv()
    X, y = tiny_net.scale_inputs(rows.X[:30]), rows.y[:30]
    model = _torch_net(net)
    loss = torch.nn.functional.cross_entropy(model(torch.tensor(X)), torch.tensor(y))
    loss.backward()
    grads = tiny_net.gradients(net, X, y, loss="cross_entropy")
    torch.testing.assert_close(grads.W1, model[0].weight.grad.numpy())
    torch.testing.assert_close(grads.W2, model[2].weight.grad.numpy())
    torch.testing.assert_close(grads.b2, model[2].bias.grad.numpy())
    with pytest.raises(ValueError, match="loss"):
        tiny_net.gradients(net, X, y, loss="mse")


def test_lr_10_stall_is_dead_relus_plus_l1():
    rows = data.load_csv()
    X, y = tiny_net.scale_inputs(rows.X), rows.y
    stuck, _ = tiny_net.train(tiny_net.init_params(seed=0), X, y, lr=10.0, steps=100)
    fp = tiny_net.forward(stuck, X)
    dead = (fp.hidden == 0).all(axis=0)
    assert dead.sum() == 2  # two of the three hidden ReLUs are 0 on every sample
    assert np.abs(tiny_net.gradients(stuck, X, y).W2).max() < 1e-12  # L1: stuck
    ce = tiny_net.gradients(stuck, X, y, loss="cross_entropy").W2
    assert np.abs(ce).max() == pytest.approx(4.5, abs=0.05)  # CE: still pushes


def test_train_validates_once(monkeypatch):
    calls = []
    original = tiny_net._inputs

    def counting(net, X):
        calls.append(1)
        return original(net, X)

    monkeypatch.setattr(tiny_net, "_inputs", counting)
    rows = data.load_csv()
    X = tiny_net.scale_inputs(rows.X[:50])
    tiny_net.train(tiny_net.init_params(seed=0), X, rows.y[:50], lr=1.0, steps=20)
    assert len(calls) == 1  # the entry point, not every step
