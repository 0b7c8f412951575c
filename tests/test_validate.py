import numpy as np
import pytest
import torch

from helpers.validate import (
    as_array,
    check_choice,
    check_int,
    check_number,
    check_shape,
    check_token_ids,
)


def test_as_array_accepts_lists_and_tensors():
    assert as_array([1, 2], "x").dtype == np.float64
    np.testing.assert_array_equal(as_array(torch.tensor([1.0, 2.0]), "x"), [1, 2])


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        ("abc", TypeError, "array of numbers"),
        ([1, "a"], TypeError, "array of numbers"),
        ([], ValueError, "must not be empty"),
        ([1.0, float("nan")], ValueError, "NaN or inf"),
        ([1.0, float("inf")], ValueError, "NaN or inf"),
    ],
)
def test_as_array_rejects_bad_input(value, error, match):
    with pytest.raises(error, match=match):
        as_array(value, "x")


def test_as_array_checks_dimensions():
    with pytest.raises(ValueError, match=r"x must have 2 dimension\(s\)"):
        as_array([1, 2], "x", ndim=2)
    assert as_array([[1]], "x", ndim=(1, 2)).shape == (1, 1)


def test_check_shape_message_shows_expected_and_actual():
    check_shape(np.zeros((2, 3)), "w", (2, None))
    with pytest.raises(ValueError, match=r"w must have shape \(2, \*\), got \(3, 3\)"):
        check_shape(np.zeros((3, 3)), "w", (2, None))


def test_check_number_ranges():
    assert check_number(0.5, "lr", low=0, low_inclusive=False) == 0.5
    with pytest.raises(ValueError, match="lr must be > 0"):
        check_number(0, "lr", low=0, low_inclusive=False)
    with pytest.raises(ValueError, match="finite"):
        check_number(float("nan"), "lr")
    with pytest.raises(TypeError, match="number"):
        check_number("1", "lr")
    with pytest.raises(TypeError, match="number"):
        check_number(True, "lr")


def test_check_int_and_choice():
    assert check_int(np.int64(3), "n", low=1) == 3
    with pytest.raises(TypeError, match="integer"):
        check_int(2.0, "n")
    with pytest.raises(ValueError, match="n must be <= 4"):
        check_int(5, "n", high=4)
    with pytest.raises(ValueError, match="expected one of: 'relu', 'tanh'"):
        check_choice("relux", "activation", ["relu", "tanh"])


def test_check_token_ids():
    assert check_token_ids(torch.tensor([0, 2]), 3) == [0, 2]
    with pytest.raises(TypeError, match="sequence of integers"):
        check_token_ids("abc", 3)
    with pytest.raises(TypeError, match=r"ids\[1\] must be an integer"):
        check_token_ids([0, 1.5], 3)
    with pytest.raises(
        ValueError, match=r"ids\[0\] = 3 is out of range: expected 0 … 2"
    ):
        check_token_ids([3], 3)


def test_as_array_refuses_complex_instead_of_truncating():
    import numpy as np
    import pytest
    import torch

    from helpers.validate import as_array

    with pytest.raises(TypeError, match="real numbers"):
        as_array(np.array([1 + 2j, 3]), "x")
    with pytest.raises(TypeError, match="real numbers"):
        as_array([1j], "x")
    with pytest.raises(TypeError, match="complex tensor"):
        as_array(torch.tensor([1 + 1j]), "x")
    assert as_array(torch.tensor([1.5], dtype=torch.bfloat16), "x").tolist() == [1.5]
