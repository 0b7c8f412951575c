"""Tests of helpers.data.addition, including the model that learns to add."""

import time

import pytest
import torch

from helpers.checks.nb13 import check_addition_line
from helpers.data.addition import AdditionTask, addition_accuracy
from helpers.runtime import set_seed
from helpers.train import preset, train
from helpers.transformer import Decoder


@pytest.fixture(autouse=True)
def one_thread():
    """`make test` runs two test processes on two cores: one thread each, since
    OpenMP threads that wait for a busy core make a step many times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_line_format_every_number_backwards():
    task = AdditionTask(2)
    assert task.line(12, 34) == "21+43=640\n"
    assert task.line(99, 99) == "99+99=891\n"
    assert task.line(5, 7) == "50+70=210\n"
    assert task.prompt(5, 7) == "50+70="
    assert task.parse_answer("640\n") == 46
    assert task.parse_answer("64") is None and task.parse_answer("6x0") is None
    assert (task.prompt_length, task.answer_length, task.context_length) == (6, 4, 9)
    assert check_addition_line(task.line, quiet=True)
    assert not check_addition_line(lambda a, b: f"{a}+{b}={a + b}\n", quiet=True)


def test_split_is_disjoint_complete_and_seeded():
    task = AdditionTask(2, val_fraction=0.2, seed=0)
    train_pairs, val_pairs = set(task.pairs["train"]), set(task.pairs["val"])
    assert len(val_pairs) == 2000 and len(train_pairs) == 8000
    assert not train_pairs & val_pairs
    assert len(train_pairs | val_pairs) == 10_000
    assert AdditionTask(2, seed=0).pairs == task.pairs
    assert AdditionTask(2, seed=1).pairs["val"] != task.pairs["val"]


def test_batches_mask_the_question():
    task = AdditionTask(2, batch_size=5)
    x, y = task("train", torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (5, 9)
    assert bool((y[:, :5] == -100).all())
    assert torch.equal(y[:, 5:-1], x[:, 6:])  # targets are the next characters
    lines = [task.tokenizer.decode(row) for row in x.tolist()]
    for line, target in zip(lines, y[:, 5:].tolist(), strict=True):
        a, b = int(line[0:2][::-1]), int(line[3:5][::-1])
        assert task.tokenizer.decode(target) == task.answer(a, b)


def test_bad_input():
    with pytest.raises(ValueError, match="digits"):
        AdditionTask(0)
    with pytest.raises(ValueError, match="val_fraction"):
        AdditionTask(2, val_fraction=0.0)
    task = AdditionTask(1)
    with pytest.raises(ValueError, match="a must be <= 9"):
        task.prompt(10, 1)
    with pytest.raises(ValueError, match="split"):
        task("test")
    with pytest.raises(TypeError, match="AdditionTask"):
        addition_accuracy(None, "task")


def test_small_model_learns_two_digit_addition():
    """Held-out problems only: >= 95% exact match after a fixed budget."""
    config = preset("addition")  # the recipe notebook 13 uses too
    task = AdditionTask(2, batch_size=config.batch_size, seed=0)
    config = config.replace(context_length=task.context_length, seed=0)
    set_seed(0)
    model = Decoder(config.model_config(task.tokenizer.vocab_size))
    untrained = addition_accuracy(model, task, max_problems=500)
    start = time.perf_counter()
    train(model, task, config, device="cpu", progress=False)
    accuracy = addition_accuracy(model, task, "val")
    print(f"trained in {time.perf_counter() - start:.1f} s, accuracy {accuracy}")
    assert untrained < 0.05
    assert accuracy >= 0.95


def test_a_task_too_big_for_the_machine_is_refused_before_building(monkeypatch):
    from helpers import sizing
    from helpers.data.addition import addition_task_bytes

    assert 30e9 < addition_task_bytes(4) < 45e9  # ~37 GB: 10^8 problems
    assert addition_task_bytes(2) < 5e6  # 10^4 problems: ~2.7 MB
    monkeypatch.setattr(sizing, "available_memory_bytes", lambda device="cpu": 2**30)
    start = time.perf_counter()
    with pytest.raises(MemoryError, match=r"AdditionTask\(4\).*needs about"):
        AdditionTask(4)
    assert time.perf_counter() - start < 5  # refused, not built
    assert AdditionTask(2).digits == 2  # a small task still fits in 1 GiB
