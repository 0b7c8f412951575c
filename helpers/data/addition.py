"""A task whose answers can be checked: n-digit addition written as text.

Introduced in 13_train_a_tiny_llm. Each problem is one fixed-width line in
which **every number is written backwards** (units digit first): the operands
padded to ``digits`` digits, the sum padded to ``digits + 1`` digits, then a
newline::

    21+43=640\n     (12 + 34 = 046: all three numbers reversed)
    99+99=891\n     (99 + 99 = 198)

This is how people add on paper, from the units upwards: each answer digit is
written after the digits (and the carry) it depends on. And because all three
numbers run in the same direction, answer digit k always sits at the same
distance from digit k of each operand, a pattern that relative positions
(RoPE) express directly; the model learns it in a few hundred steps. The loss
is taken on the answer characters only (targets of prompt positions are -100,
PyTorch's ``ignore_index``), and accuracy is exact match of greedy answers on
held-out problems that never appear in training.
"""

from __future__ import annotations

import random

import torch

from helpers.data.char_tokenizer import CharTokenizer
from helpers.sizing import require_memory
from helpers.validate import check_choice, check_int, check_number

__all__ = ["ALPHABET", "AdditionTask", "addition_accuracy", "addition_task_bytes"]

#: Every character an addition line can contain.
ALPHABET = "0123456789+=\n"
IGNORE_INDEX = -100  # targets with this value add nothing to the loss


def addition_task_bytes(digits: int) -> int:
    """Peak memory of building ``AdditionTask(digits)``: every one of the
    10^(2·digits) problems is held as a Python pair (~100 bytes), its text
    (1 byte per character), the encoded list (8 bytes per character) and the
    int64 tensor (8 bytes per character). 2 digits: ~2.7 MB; 4 digits: ~37 GB.
    Introduced in 13_train_a_tiny_llm."""
    digits = check_int(digits, "digits", low=1)
    line_length = 3 * digits + 4  # "21+43=" + "640\n"
    return 10 ** (2 * digits) * (100 + 17 * line_length)


class AdditionTask:
    """All pairs (a, b) with ``0 <= a, b < 10**digits``, split into training and
    held-out problems by a seeded shuffle; callable as a batch source:
    ``task("train", generator)`` → ``x, y`` of shape (B, line_length - 1).

    Introduced in 13_train_a_tiny_llm.
    """

    def __init__(
        self,
        digits: int = 2,
        *,
        val_fraction: float = 0.2,
        batch_size: int = 64,
        seed: int = 0,
    ):
        self.digits = check_int(digits, "digits", low=1, high=4)
        val_fraction = check_number(
            val_fraction, "val_fraction", low=0.0, high=0.9, low_inclusive=False
        )
        self.batch_size = check_int(batch_size, "batch_size", low=1)
        check_int(seed, "seed", low=0)
        self.tokenizer = CharTokenizer.from_text(ALPHABET)
        require_memory(
            addition_task_bytes(digits), f"AdditionTask({digits}) (every problem)"
        )
        pairs = [(a, b) for a in range(10**digits) for b in range(10**digits)]
        random.Random(seed).shuffle(pairs)
        n_val = max(1, int(round(len(pairs) * val_fraction)))
        self.pairs = {"val": pairs[:n_val], "train": pairs[n_val:]}
        self.prompt_length = 2 * digits + 2  # "21+43="
        self.answer_length = digits + 2  # "640\n"
        self.line_length = self.prompt_length + self.answer_length
        self.context_length = self.line_length - 1  # what the model must accept
        self._tokens = {s: self._encode_lines(p) for s, p in self.pairs.items()}

    @property
    def train_tokens(self) -> int:
        """Tokens in one pass over the training problems (input positions)."""
        return len(self.pairs["train"]) * self.context_length

    def prompt(self, a: int, b: int) -> str:
        """The question, operands reversed: 12 + 34 → ``"21+43="``."""
        a = check_int(a, "a", low=0, high=10**self.digits - 1)
        b = check_int(b, "b", low=0, high=10**self.digits - 1)
        return f"{a:0{self.digits}d}"[::-1] + "+" + f"{b:0{self.digits}d}"[::-1] + "="

    def answer(self, a: int, b: int) -> str:
        """The answer as the model writes it: reversed, padded, then a newline."""
        total = f"{a + b:0{self.digits + 1}d}"
        return total[::-1] + "\n"

    def line(self, a: int, b: int) -> str:
        """One full training line, prompt + answer."""
        return self.prompt(a, b) + self.answer(a, b)

    def parse_answer(self, text: str) -> int | None:
        """Read a generated (reversed) answer back as a number; None if malformed."""
        digits = text[: self.digits + 1]
        if len(digits) != self.digits + 1 or not digits.isdigit():
            return None
        return int(digits[::-1])

    def _encode_lines(self, pairs) -> torch.Tensor:
        text = "".join(self.line(a, b) for a, b in pairs)
        ids = torch.tensor(self.tokenizer.encode(text), dtype=torch.long)
        return ids.view(len(pairs), self.line_length)  # (N, line_length)

    def __call__(
        self, split: str, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        check_choice(split, "split", ("train", "val"))
        lines = self._tokens[split]
        rows = torch.randint(0, len(lines), (self.batch_size,), generator=generator)
        batch = lines[rows]  # (B, line_length)
        x, y = batch[:, :-1], batch[:, 1:].clone()  # (B, line_length - 1) each
        y[:, : self.prompt_length - 1] = IGNORE_INDEX  # no loss on the question
        return x, y


@torch.no_grad()
def addition_accuracy(
    model, task: AdditionTask, split: str = "val", *, max_problems: int | None = None
) -> float:
    """Exact-match accuracy of greedy answers on ``split`` (all problems, or the
    first ``max_problems``). Introduced in 13_train_a_tiny_llm."""
    from helpers.transformer import generate  # the model's own decoding loop

    if not isinstance(task, AdditionTask):
        raise TypeError(f"task must be an AdditionTask, got {type(task).__name__}")
    check_choice(split, "split", ("train", "val"))
    lines = task._tokens[split]
    if max_problems is not None:
        lines = lines[: check_int(max_problems, "max_problems", low=1)]
    device = next(model.parameters()).device
    prompts = lines[:, : task.prompt_length].to(device)  # (N, prompt_length)
    out = generate(model, prompts, task.answer_length, use_cache=True)
    answers = out[:, task.prompt_length :].cpu()  # (N, answer_length)
    expected = lines[:, task.prompt_length :]
    return float((answers == expected).all(dim=1).float().mean())
