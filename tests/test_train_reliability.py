"""Training runs that lose nothing and check sizes first (issue 14), the GPU
path's logic on a CPU (issue 11) and the pinned loss curve (issue 16)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import warnings

import pytest
import torch

import helpers.train.cli as cli
import helpers.train.loop as loop
from helpers.checkpoint import load_checkpoint
from helpers.data.char_tokenizer import CharTokenizer
from helpers.data.corpora import TokenBatches, train_val_split
from helpers.data.poems import PoemsUnavailable
from helpers.runtime import Precision, grad_scaler, precision_for, set_seed
from helpers.train import (
    TrainConfig,
    epochs,
    main,
    model_shape,
    preset,
    ranks_from_env,
    train,
)
from helpers.train.distributed import join
from helpers.transformer import Decoder

PARAGRAPH = (
    "It was the best of times, it was the worst of times, it was the age of "
    "wisdom, it was the age of foolishness, it was the epoch of belief, it was "
    "the epoch of incredulity, it was the season of Light, it was the season of "
    "Darkness, it was the spring of hope, it was the winter of despair.\n"
)
#: The first five training losses and the validation estimate of the run below,
#: computed with the trainer as it was before any speed work (issue 16): speed
#: changes must not change what each step computes.
PINNED_LOSSES = [3.4350745677948, 3.4308767318725586, 2.9534976482391357,
                 2.7556045055389404, 2.593153238296509]  # fmt: skip
PINNED_EVAL = (5, 2.506992816925049, 2.492479085922241)

SMALL = ["--n-layer", "1", "--n-head", "2", "--d-model", "16", "--batch-size", "4",
         "--context-length", "16", "--device", "cpu", "--no-progress", "--threads", "1"]  # fmt: skip


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_first_losses_match_the_pinned_curve():
    text = PARAGRAPH * 20
    tokenizer = CharTokenizer.from_text(text)
    train_ids, val_ids = train_val_split(torch.tensor(tokenizer.encode(text)), 0.1)
    config = TrainConfig(steps=5, warmup_steps=1, eval_interval=5, eval_batches=2)
    batches = TokenBatches(train_ids, val_ids, batch_size=12, context_length=64)
    set_seed(0)
    model = Decoder(config.model_config(tokenizer.vocab_size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # many epochs of a short text
        result = train(model, batches, config, device="cpu", progress=False)
    assert result.train_losses == pytest.approx(PINNED_LOSSES, abs=2e-5)
    assert result.evals[0] == pytest.approx(PINNED_EVAL, abs=2e-5)


# --- Ctrl-C, resume, --out -----------------------------------------------------
def _text_file(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text(PARAGRAPH * 20, encoding="utf-8")
    return path


def _interrupt_at(monkeypatch, step):
    """Send this process SIGINT from inside the loop after ``step`` steps."""
    original = cli.train

    def train_with_signal(*args, should_stop, **kwargs):
        asked = []

        def stop():
            if len(asked) == step:
                os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C would
            asked.append(True)
            return should_stop()

        return original(*args, should_stop=stop, **kwargs)

    monkeypatch.setattr(cli, "train", train_with_signal)


def test_sigint_saves_the_last_step_and_resume_continues_exactly(
    tmp_path, monkeypatch, capsys
):
    text = _text_file(tmp_path)
    args = ["--text", str(text), *SMALL, "--steps", "12", "--losses", "--lr", "0.01"]
    full = main(args)
    capsys.readouterr()
    out = tmp_path / "run"
    with monkeypatch.context() as patch:
        _interrupt_at(patch, 4)
        first = main([*args, "--out", str(out)])
    err = capsys.readouterr().err
    assert first["interrupted"] and first["steps"] == 4
    assert f"interrupted after step 4: checkpoint saved in {out}" in err
    assert len(load_checkpoint(out, with_train_state=True).train_state["losses"]) == 4
    resumed = main(["--text", str(text), *SMALL, "--resume", str(out), "--losses"])
    assert resumed["steps"] == 12 and "interrupted" not in resumed
    assert resumed["losses"] == full["losses"]  # same steps, same numbers
    assert resumed["val_loss"] == full["val_loss"]


def test_ctrl_c_in_a_real_process_saves_and_exits_with_one_line(tmp_path):
    text = _text_file(tmp_path)
    out = tmp_path / "run"
    command = [sys.executable, "-m", "helpers.train", "--text", str(text), *SMALL]
    command = [c for c in command if c != "--no-progress"]  # the bar shows the start
    command += ["--steps", "100000", "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)  # fmt: skip
    try:
        seen = ""
        while not re.search(r"\| [1-9]\d*/100000", seen):  # a step is done
            char = process.stderr.read(1)
            assert char, "the trainer exited before training"
            seen += char
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert "Traceback" not in stderr
    message = [line for line in stderr.splitlines() if "interrupted after step" in line]
    assert len(message) == 1 and "--resume" in message[0]
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["interrupted"]
    state = load_checkpoint(out, with_train_state=True).train_state
    assert state["step"] == summary["steps"] >= 1


@pytest.mark.parametrize(
    ("make_out", "message"),
    [
        (lambda tmp: tmp / "file.txt", "existing file"),
        (lambda tmp: "/proc/self/ckpt", "system folder"),
        (lambda tmp: tmp / "file.txt" / "sub", "is a file"),
        (lambda tmp: tmp / "busy", "other files"),
    ],
)
def test_out_is_checked_before_training(
    tmp_path, monkeypatch, capsys, make_out, message
):
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.md").write_text("mine")
    monkeypatch.setattr(cli, "train", lambda *a, **k: pytest.fail("trained first"))
    text = _text_file(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["--text", str(text), *SMALL, "--out", str(make_out(tmp_path))])
    assert exc.value.code == 2 and message in capsys.readouterr().err
    assert (tmp_path / "busy" / "notes.md").read_text() == "mine"


# --- sizes and corpora ------------------------------------------------------------
@pytest.mark.parametrize(
    "flags",
    [["--batch-size", "100000000"], ["--n-layer", "64", "--d-model", "8192"]],
)
def test_requests_that_cannot_fit_are_refused_before_allocating(
    tmp_path, monkeypatch, capsys, flags
):
    monkeypatch.setattr(cli, "Decoder", lambda *a: pytest.fail("model was built"))
    text = _text_file(tmp_path)
    with pytest.raises(SystemExit):
        main(["--text", str(text), "--device", "cpu", "--steps", "1", *flags])
    err = capsys.readouterr().err
    assert "needs about" in err and "free" in err


def test_one_character_corpus_is_refused(tmp_path, capsys):
    text = tmp_path / "a.txt"
    text.write_text("a" * 5000)
    with pytest.raises(SystemExit):
        main(["--text", str(text), *SMALL])
    assert "at least 2" in capsys.readouterr().err


def test_ignored_context_length_is_reported(capsys):
    main(["--corpus", "addition", "--steps", "1", "--batch-size", "4", "--n-layer",
          "1", "--d-model", "16", "--context-length", "50", "--device", "cpu",
          "--no-progress"])  # fmt: skip
    assert "--context-length 50 is ignored" in capsys.readouterr().err


# --- torchrun environment ------------------------------------------------------
@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WORLD_SIZE": "0"}, "WORLD_SIZE=0 must be >= 1"),
        ({"WORLD_SIZE": "abc"}, "WORLD_SIZE='abc' must be an integer"),
        ({"WORLD_SIZE": "2", "RANK": "2"}, "RANK=2 must be >= 0 and <= 1"),
        ({"WORLD_SIZE": "2", "RANK": "0", "LOCAL_RANK": "-1"}, "LOCAL_RANK=-1"),
    ],
)
def test_torchrun_variables_are_checked(env, message):
    with pytest.raises(ValueError, match=message):
        ranks_from_env(env)


def test_torchrun_variables_default_to_one_process_and_cli_reports(monkeypatch, capsys):
    assert tuple(vars(ranks_from_env({})).values()) == (1, 0, 0)
    monkeypatch.setenv("WORLD_SIZE", "abc")
    with pytest.raises(SystemExit):
        main(["--corpus", "addition", "--device", "cpu"])
    assert "must be an integer" in capsys.readouterr().err


def test_joining_the_group_has_a_bounded_timeout(monkeypatch):
    seen = {}
    monkeypatch.setattr(
        torch.distributed, "init_process_group", lambda *a, **k: seen.update(k)
    )
    join(torch.device("cpu"), timeout_s=7)
    assert seen["timeout"].total_seconds() == 7


# --- GPU path on a CPU: precision, scaler, epochs, early stopping ----------------
def test_fp16_gets_a_grad_scaler_and_bf16_does_not():
    assert precision_for("cuda", bf16_supported=False).needs_grad_scaler
    assert not precision_for("cuda", bf16_supported=True).needs_grad_scaler
    assert not precision_for("cpu").needs_grad_scaler
    assert not grad_scaler("cpu").is_enabled()


def test_the_enabled_scaler_scales_unscales_and_skips_overflow():
    fp16 = Precision("cpu", torch.float16, torch.float32, False, False)
    scaler = grad_scaler("cpu", fp16)
    assert scaler.is_enabled()
    weight = torch.nn.Parameter(torch.tensor([1.0]))
    optimizer = torch.optim.SGD([weight], lr=0.1)
    loss = (weight * 2).sum()
    scaled = scaler.scale(loss)
    assert scaled.item() == pytest.approx(2 * scaler.get_scale())
    scaled.backward()
    scaler.unscale_(optimizer)
    assert weight.grad.item() == pytest.approx(2.0)  # the true gradient again
    scaler.step(optimizer)
    scaler.update()
    assert weight.item() == pytest.approx(0.8)
    before = scaler.get_scale()
    optimizer.zero_grad()
    scaler.scale((weight * float("inf")).sum()).backward()
    scaler.step(optimizer)  # overflow: the step is skipped …
    scaler.update()
    assert weight.item() == pytest.approx(0.8)
    assert scaler.get_scale() == before / 2  # … and the scale halves


def test_training_loop_uses_the_scaler_for_fp16(monkeypatch):
    made = []
    original = loop.grad_scaler

    def spy(device, precision):
        made.append(precision.autocast_dtype)
        return original(device, precision)

    fp16 = Precision("cpu", torch.float16, torch.float32, False, False)
    monkeypatch.setattr(loop, "precision_for", lambda device: fp16)
    monkeypatch.setattr(loop, "grad_scaler", spy)
    text = PARAGRAPH * 5
    tokenizer = CharTokenizer.from_text(text)
    ids = torch.tensor(tokenizer.encode(text))
    config = TrainConfig(model=model_shape(n_layer=1, n_head=2, d_model=16,
                         context_length=8), batch_size=2, steps=2, warmup_steps=0,
                         eval_interval=2, eval_batches=1)  # fmt: skip
    model = Decoder(config.model_config(tokenizer.vocab_size))
    result = train(model, TokenBatches(ids, ids, batch_size=2, context_length=8),
                   config, device="cpu", progress=False)  # fmt: skip
    assert made == [torch.float16] and result.steps == 2
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_epochs_arithmetic_and_warning():
    assert epochs(preset("cpu"), 1_536_000) == pytest.approx(1.0)  # 2000 · 12 · 64
    assert epochs(preset("gpu"), 16_384) == pytest.approx(1500)
    with pytest.raises(ValueError, match="train_tokens"):
        epochs(preset("cpu"), 0)
    tokenizer = CharTokenizer.from_text(PARAGRAPH)
    ids = torch.tensor(tokenizer.encode(PARAGRAPH * 3))
    config = TrainConfig(model=model_shape(n_layer=1, n_head=2, d_model=16,
                         context_length=8), batch_size=2, steps=30, warmup_steps=0,
                         eval_interval=30, eval_batches=1, max_epochs=0.5)  # fmt: skip
    batches = TokenBatches(ids, ids, batch_size=2, context_length=8)
    model = Decoder(config.model_config(tokenizer.vocab_size))
    with pytest.warns(RuntimeWarning, match="pass 0.6 times over 861 training"):
        result = train(model, batches, config, device="cpu", progress=False)
    assert result.epochs == pytest.approx(30 * 16 / 861)


def test_early_stopping_keeps_the_best_weights(monkeypatch):
    vals = iter([3.0, 2.0, 2.5, 2.6, 2.7, 2.8])
    snapshots = {}

    def fake_estimate(model, batches, n, device, precision, seed):
        snapshots[len(snapshots) + 1] = loop._snapshot(model)
        return {"train": 1.0, "val": next(vals)}

    monkeypatch.setattr(loop, "_estimate", fake_estimate)
    text = PARAGRAPH * 5
    tokenizer = CharTokenizer.from_text(text)
    ids = torch.tensor(tokenizer.encode(text))
    config = TrainConfig(model=model_shape(n_layer=1, n_head=2, d_model=16,
                         context_length=8), batch_size=2, steps=60, warmup_steps=0,
                         eval_interval=5, eval_batches=1, patience=2)  # fmt: skip
    assert preset("cpu").patience and preset("cpu").keep_best  # on by default
    model = Decoder(config.model_config(tokenizer.vocab_size))
    batches = TokenBatches(ids, ids, batch_size=2, context_length=8)
    result = train(model, batches, config, device="cpu", progress=False)
    assert result.stopped_early and result.steps == 20  # 2 evals without progress
    assert result.best_step == 10 and result.val_loss == 2.0
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, snapshots[2][name])  # the weights of step 10


# --- the poems corpus -------------------------------------------------------------
POEMS = ["床前明月光，疑是地上霜。举头望明月，低头思故乡。",
         "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"] * 30  # fmt: skip


def test_poems_corpus_reports_a_form_score(monkeypatch, capsys):
    monkeypatch.setattr(cli, "poem_text", lambda split: "\n".join(POEMS))
    summary = main(["--corpus", "poems", "--steps", "2", "--n-layer", "1",
                    "--d-model", "16", "--n-head", "2", "--batch-size", "4",
                    "--device", "cpu", "--no-progress"])  # fmt: skip
    assert 0.0 <= summary["form_score"] <= 1.0
    poems = cli.sample_poems(
        Decoder(preset("poems").model_config(30)),
        CharTokenizer.from_text("".join(POEMS) + "\n"),
        3,
    )
    assert len(poems) == 3 and all("\n" not in poem for poem in poems)


def test_missing_poems_corpus_is_a_clear_error(monkeypatch, capsys):
    def unavailable(split):
        raise PoemsUnavailable("build it with: make poems")

    monkeypatch.setattr(cli, "poem_text", unavailable)
    with pytest.raises(SystemExit):
        main(["--corpus", "poems", "--device", "cpu"])
    assert "make poems" in capsys.readouterr().err


def test_poems_preset_fits_a_seven_character_regulated_verse():
    config = preset("poems")
    assert config.model.context_length >= 65  # 64 characters + newline
    assert config.model.tie_embeddings
