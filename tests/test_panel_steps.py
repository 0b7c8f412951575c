"""Panels whose own computation is slow keep every move short: GenerationPanel
shows its first tokens at once and continues on the kernel's event loop,
TokenizerPanel encodes at most ``MAX_TEXT_CHARS`` per keystroke, and the matmul
timer measures large sizes only when its button is pressed."""

import asyncio
import threading

import pytest
import torch

from helpers.data.char_tokenizer import CharTokenizer
from helpers.sampling import continue_text, stream_text
from helpers.transformer import Decoder, DecoderConfig
from helpers.widgets import apply_move
from helpers.widgets.generation import GenerationPanel
from helpers.widgets.tensors import MatmulTimerPanel
from helpers.widgets.tokens import MAX_TEXT_CHARS, TokenizerPanel


@pytest.fixture(scope="module")
def model_and_tokenizer():
    tokenizer = CharTokenizer.from_text("abcdefghijklmnopqrstuvwxyz ,.\n")
    torch.manual_seed(0)
    config = DecoderConfig(
        vocab_size=tokenizer.vocab_size,
        context_length=32,
        n_layer=1,
        n_head=2,
        d_model=32,
        d_ff=64,
    )
    return Decoder(config), tokenizer


def test_stream_text_grows_to_the_whole_continuation(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    steps = list(
        stream_text(model, tokenizer, "hello", max_new_tokens=50, temperature=0.0,
                    tokens_per_step=7)
    )  # fmt: skip
    assert len(steps) == 8  # 7 steps of 7 tokens, then 1
    assert [len(s) for s in steps] == [7, 14, 21, 28, 35, 42, 49, 50]
    assert all(
        later.startswith(earlier)
        for earlier, later in zip(steps[:-1], steps[1:], strict=True)
    )
    greedy = continue_text(model, tokenizer, "hello", max_new_tokens=50, temperature=0)
    assert steps[-1] == greedy  # the window slides past context 32 in both


def test_stream_text_validates_at_the_call(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    with pytest.raises(ValueError, match="at least one character"):
        stream_text(model, tokenizer, "")
    with pytest.raises(ValueError, match="tokens_per_step must be >= 1"):
        stream_text(model, tokenizer, "a", tokens_per_step=0)
    with pytest.raises(TypeError, match="must be a Decoder"):
        stream_text("model", tokenizer, "a")


def test_a_long_generation_move_computes_one_step(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    panel = GenerationPanel(model, tokenizer, "hello", seed=0)
    apply_move(panel, "length", 300)
    assert len(panel.text) == GenerationPanel.TOKENS_PER_STEP
    assert f"generating: {GenerationPanel.TOKENS_PER_STEP} of 300 tokens" in (
        panel.readout.value
    )
    panel.settle()
    assert len(panel.text) == 300 and "generating" not in panel.readout.value


def test_generation_continues_on_the_event_loop(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer

    async def move_and_wait():
        panel = GenerationPanel(model, tokenizer, "hello", seed=0)
        panel.controls["length"].value = 40  # a move inside a running event loop
        first = panel.text
        for _ in range(100):
            await asyncio.sleep(0)
            if panel._stream is None:
                break
        return panel, first

    # A fresh event loop in a thread of its own: this worker's main thread may
    # already run one (Playwright's, when the browser tests share the worker).
    box = {}
    worker = threading.Thread(target=lambda: box.update(r=asyncio.run(move_and_wait())))
    worker.start()
    worker.join(120)
    panel, first = box["r"]
    assert len(first) == GenerationPanel.TOKENS_PER_STEP
    assert len(panel.text) == 40 and "generating" not in panel.readout.value
    reference = GenerationPanel(model, tokenizer, "hello", seed=0)
    reference.controls["length"].value = 40
    reference.settle()
    assert panel.text == reference.text


def test_tokenizer_encodes_a_capped_prefix():
    panel = TokenizerPanel()
    apply_move(panel, "text", "ab " * 50_000)
    assert panel.status.value == ""
    assert f"showing the first {MAX_TEXT_CHARS:,} of 150,000 characters" in (
        panel.readout.value
    )
    assert f"for {MAX_TEXT_CHARS} characters" in panel.readout.value


def test_matmul_timer_measures_large_sizes_on_the_button_only():
    panel = MatmulTimerPanel(n=64)
    apply_move(panel, "n", 1024)
    assert 1024 not in panel.measured["cpu"]
    assert "not measured yet" in panel.readout.value
    assert panel.status.value == ""
