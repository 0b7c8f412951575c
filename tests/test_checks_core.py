import numpy as np
import torch

from helpers.checks import check_function, check_value, close_enough


def test_correct_function_passes(capsys):
    result = check_function(np.tanh, np.tanh, [(0.5,), (np.arange(3.0),)], name="t")
    assert result.passed and result.attempted
    assert capsys.readouterr().out.startswith("✅")


def test_wrong_function_fails_with_hint(capsys):
    result = check_function(lambda x: x, np.tanh, [(0.5,)], name="t", hint="use tanh")
    assert not result.passed and result.attempted
    out = capsys.readouterr().out
    assert out.startswith("❌") and "use tanh" in out and "0.462117" in out


def test_not_attempted_is_reported_not_raised(capsys):
    def answer(x):
        raise NotImplementedError

    result = check_function(answer, np.tanh, [(0.5,)], name="t")
    assert not result.passed and not result.attempted
    assert capsys.readouterr().out.startswith("⏳")


def test_crashing_answer_is_explained(capsys):
    result = check_function(lambda x: x / "a", np.tanh, [(0.5,)], name="t")
    assert not result.passed
    assert "TypeError" in capsys.readouterr().out


def test_not_a_function(capsys):
    assert not check_function(3, np.tanh, [(0.5,)], name="t")
    assert "需要传入一个函数" in capsys.readouterr().out


def test_check_value_and_shapes(capsys):
    assert check_value(0.646, 0.6457, name="p", atol=1e-3)
    assert not check_value(0.64, 0.6457, name="p", atol=1e-3)
    assert not check_value(None, 1.0, name="p").attempted
    assert not close_enough(np.zeros(2), np.zeros(3), 1e-6, 1e-8)
    assert close_enough(torch.ones(2), [1.0, 1.0], 1e-6, 1e-8)
    assert close_enough({"a": 1.0}, {"a": 1.0 + 1e-12}, 1e-6, 1e-8)
    assert close_enough("ab", "ab", 0, 0) and not close_enough("ab", "ba", 0, 0)


def test_close_enough_never_raises_on_mismatched_kinds():
    assert not close_enough("abc", np.zeros(3), 1e-6, 1e-8)
    assert not close_enough(np.zeros(3), "abc", 1e-6, 1e-8)
    assert not close_enough(None, 1.0, 1e-6, 1e-8)
    assert not close_enough(np.array([True, False]), True, 1e-6, 1e-8)
    assert close_enough(np.bool_(True), True, 1e-6, 1e-8)
    assert close_enough([("a", 1)], [("a", 1)], 1e-6, 1e-8)
