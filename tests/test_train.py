"""Tests of helpers.train: the loop, presets, the CUDA choices and the CLI."""

import json
import math

import pytest
import torch

from helpers.checkpoint import load_checkpoint
from helpers.data.char_tokenizer import CharTokenizer
from helpers.data.corpora import TokenBatches
from helpers.runtime import precision_for
from helpers.sampling import make_sampler
from helpers.sizing import count_parameters
from helpers.train import (
    TrainConfig,
    TrainProgress,
    build_optimizer,
    default_preset,
    estimate_loss,
    main,
    model_shape,
    preset,
    train,
)
from helpers.transformer import Decoder, generate

TEXT = "To be, or not to be, that is the question.\n"


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models train faster on one thread, especially on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _overfit_setup(steps=150):
    tokenizer = CharTokenizer.from_text(TEXT)
    ids = torch.tensor(tokenizer.encode(TEXT * 4))
    config = TrainConfig(
        model=model_shape(n_layer=2, n_head=2, d_model=32, context_length=16),
        batch_size=16,
        steps=steps,
        lr=1e-2,
        warmup_steps=min(10, steps),
        weight_decay=0.0,
        eval_interval=50,
        eval_batches=2,
        max_epochs=1e9,  # memorising this text is the point
    )
    batches = TokenBatches(ids, ids, batch_size=16, context_length=16)
    torch.manual_seed(0)
    model = Decoder(config.model_config(tokenizer.vocab_size))
    return tokenizer, config, batches, model


def test_untrained_loss_is_close_to_log_vocab():
    tokenizer, _, batches, model = _overfit_setup()
    losses = estimate_loss(model, batches, 4)
    assert losses["train"] == pytest.approx(math.log(tokenizer.vocab_size), abs=0.05)


def test_tiny_model_overfits_a_short_text_and_greedy_cache_agrees():
    tokenizer, config, batches, model = _overfit_setup()
    calls = []
    result = train(
        model, batches, config, device="cpu", progress=False, callback=calls.append
    )
    assert result.train_loss < 0.1
    assert result.train_losses[-1] < result.train_losses[0] / 20
    assert [c.step for c in calls] == [50, 100, 150]
    assert isinstance(calls[-1], TrainProgress) and len(calls[-1].train_losses) == 150
    assert calls[-1].lr == pytest.approx(config.lr * config.min_lr_ratio, rel=0.01)
    assert result.tokens_per_s > 0 and result.steps == 150
    # the model now recites the text; with and without the KV cache alike
    prompt = torch.tensor([tokenizer.encode("To be, or")])
    cached = generate(model, prompt, 40, use_cache=True)
    uncached = generate(model, prompt, 40, use_cache=False)
    assert torch.equal(cached, uncached)  # 49 > context 16: the window slides
    assert tokenizer.decode(cached[0]).startswith("To be, or not to be, that is")
    sampled = [
        generate(
            model,
            prompt,
            20,
            sample=make_sampler(
                0.8, top_k=5, generator=torch.Generator().manual_seed(7)
            ),
            use_cache=c,
        )
        for c in (True, False)
    ]
    assert torch.equal(*sampled)


def test_presets_and_device_choice():
    assert default_preset(torch.device("cuda")) == "gpu"
    assert default_preset("cpu") == "cpu" and default_preset("mps") == "cpu"
    gpu = preset("gpu")
    shape = gpu.model
    assert (shape.n_layer, shape.n_head, shape.d_model, shape.context_length) == (
        6,
        6,
        384,
        256,
    )
    assert gpu.batch_size == 64
    assert 9.5e6 < count_parameters(gpu.model_config(100)) < 11.5e6
    cpu = preset("cpu").model
    assert (cpu.n_layer, cpu.n_head, cpu.d_model, cpu.context_length) == (4, 4, 128, 64)
    assert preset("cpu") is not preset("cpu")  # fresh copies
    with pytest.raises(ValueError, match="preset"):
        preset("tpu")


def test_cuda_choices_on_a_cpu_machine():
    cuda = precision_for(torch.device("cuda"), bf16_supported=True)
    assert cuda.autocast_dtype == torch.bfloat16 and cuda.use_fused_adamw
    assert cuda.can_compile
    old = precision_for("cuda", bf16_supported=False)
    assert old.autocast_dtype == torch.float16
    cpu = precision_for("cpu")
    assert cpu.autocast_dtype is None and cpu.use_fused_adamw  # measured faster
    model = Decoder(preset("cpu").model_config(10))
    optimizer = build_optimizer(model, preset("cpu"), "cpu")
    assert optimizer.defaults["fused"]
    decayed, plain = optimizer.param_groups
    assert all(p.ndim == 2 for p in decayed["params"]) and plain["weight_decay"] == 0
    assert all(p.ndim == 1 for p in plain["params"])


def test_compile_flag_is_ignored_off_cuda():
    tokenizer, config, batches, model = _overfit_setup(steps=2)
    config = config.replace(compile=True, eval_interval=2, warmup_steps=0)
    result = train(model, batches, config, device="cpu", progress=False)
    assert result.steps == 2 and result.device == "cpu"


def test_config_validation():
    with pytest.raises(ValueError, match="n_head"):
        TrainConfig().replace(d_model=128, n_head=3)
    with pytest.raises(TypeError, match="DecoderConfig"):
        TrainConfig(model={"d_model": 128})
    with pytest.raises(ValueError, match="warmup_steps"):
        TrainConfig(steps=10, warmup_steps=20)
    with pytest.raises(ValueError, match="lr"):
        TrainConfig(lr=0.0)
    with pytest.raises(TypeError, match="batch_size"):
        TrainConfig(batch_size=2.5)
    with pytest.raises(ValueError, match="unknown TrainConfig"):
        TrainConfig().replace(layers=3)
    assert TrainConfig().replace(d_model=384).model.d_ff == 1024  # 8/3 · 384
    assert TrainConfig().replace(d_model=64).model.d_ff == 192
    assert TrainConfig().replace(d_model=64, d_ff=100).model.d_ff == 100


def test_train_bad_arguments():
    tokenizer, config, batches, model = _overfit_setup()
    with pytest.raises(TypeError, match="TrainConfig"):
        train(model, batches, {"steps": 3})
    with pytest.raises(TypeError, match="batches"):
        train(model, None, config)
    with pytest.raises(TypeError, match="nn.Module"):
        train("model", batches, config)


def _cli(args, capsys):
    summary = main(args)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == summary
    return summary


def test_cli_trains_on_a_text_file_and_saves(tmp_path, capsys):
    text = tmp_path / "poem.txt"
    text.write_text(
        "床前明月光，疑是地上霜。举头望明月，低头思故乡。\n" * 40, encoding="utf-8"
    )
    out = tmp_path / "ckpt"
    summary = _cli(
        [
            "--text",
            str(text),
            "--preset",
            "cpu",
            "--steps",
            "4",
            "--batch-size",
            "4",
            "--context-length",
            "16",
            "--n-layer",
            "1",
            "--d-model",
            "32",
            "--device",
            "cpu",
            "--out",
            str(out),
            "--no-progress",
        ],
        capsys,
    )
    assert set(summary) == {
        "steps",
        "seconds",
        "tokens_per_s",
        "train_loss",
        "val_loss",
        "world_size",
        "best_step",
        "epochs",
        "threads",
    }
    assert summary["steps"] == 4 and summary["world_size"] == 1
    loaded = load_checkpoint(out)
    assert loaded.model.config.d_model == 32 and loaded.model.config.n_layer == 1
    assert loaded.tokenizer.encode("明月") == loaded.tokenizer.encode("明月")
    assert loaded.metadata["train_config"]["steps"] == 4


def test_cli_addition_corpus_reports_accuracy(capsys):
    summary = _cli(
        [
            "--corpus",
            "addition",
            "--steps",
            "2",
            "--batch-size",
            "8",
            "--n-layer",
            "1",
            "--d-model",
            "32",
            "--device",
            "cpu",
            "--no-progress",
        ],
        capsys,
    )
    assert 0.0 <= summary["val_accuracy"] <= 1.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--steps", "3"], "one of the arguments --text --corpus is required"),
        (["--corpus", "wiki"], "invalid choice"),
        (["--corpus", "zh", "--steps", "0"], "steps must be >= 1"),
        (["--corpus", "zh", "--n-head", "3"], "head_dim"),
        (["--corpus", "zh", "--lr", "-1"], "lr must be > 0"),
        (["--corpus", "zh", "--steps", "many"], "invalid int value"),
        (["--text", "/nonexistent/file.txt"], "not found"),
    ],
)
def test_cli_bad_options(args, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args + ["--device", "cpu"])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_too_small_or_binary_file(tmp_path, capsys):
    small = tmp_path / "small.txt"
    small.write_text("abc " * 100, encoding="utf-8")  # 400 chars < 10 · 65
    with pytest.raises(SystemExit):
        main(["--text", str(small), "--device", "cpu"])
    assert "needs at least 650" in capsys.readouterr().err
    binary = tmp_path / "data.bin"
    binary.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(SystemExit):
        main(["--text", str(binary), "--device", "cpu"])
    assert "not UTF-8" in capsys.readouterr().err


# --- the generation panel ---------------------------------------------------
def test_generation_panel_reports_unknown_characters():
    from helpers.sampling import continue_text
    from helpers.widgets.generation import GenerationPanel

    tokenizer, config, batches, model = _overfit_setup(steps=2)
    panel = GenerationPanel(model, tokenizer, "To be")
    assert panel.status.value == ""
    assert "To be" in panel.readout.value
    panel.controls["prompt"].value = "To be 你好"
    assert "unknown character" in panel.status.value and "你" in panel.status.value
    panel.controls["prompt"].value = ""
    assert "at least one character" in panel.status.value
    panel.controls["prompt"].value = "not"
    assert panel.status.value == ""
    text = continue_text(model, tokenizer, "To", max_new_tokens=5, temperature=0)
    assert len(text) == 5
    with pytest.raises(ValueError, match="unknown character"):
        continue_text(model, tokenizer, "Zz")


def test_cpu_threads_apply_during_training_only():
    tokenizer, config, batches, model = _overfit_setup(steps=1)
    seen = []
    torch.set_num_threads(2)
    config = config.replace(cpu_threads=1, eval_interval=1, warmup_steps=0)
    train(
        model,
        batches,
        config,
        device="cpu",
        progress=False,
        callback=lambda progress: seen.append(torch.get_num_threads()),
    )
    assert seen == [1] and torch.get_num_threads() == 2
    assert preset("cpu").cpu_threads is None  # the command line uses every core


def test_max_seconds_stops_after_a_validation():
    tokenizer, config, batches, model = _overfit_setup(steps=2)
    config = config.replace(steps=100_000, eval_interval=5, max_seconds=0.3)
    result = train(model, batches, config, device="cpu", progress=False)
    assert 5 <= result.steps < 100_000 and result.steps % 5 == 0
    assert len(result.train_losses) == result.steps
    assert result.evals[-1][0] == result.steps
    with pytest.raises(ValueError, match="max_seconds"):
        TrainConfig(max_seconds=0)


def test_command_line_entry_point(tmp_path):
    import subprocess
    import sys

    text = tmp_path / "t.txt"
    text.write_text("abcdefgh " * 200, encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "helpers.train",
        "--text",
        str(text),
        "--steps",
        "2",
        "--n-layer",
        "1",
        "--d-model",
        "16",
        "--n-head",
        "2",
        "--device",
        "cpu",
        "--no-progress",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["steps"] == 2
    bad = subprocess.run(
        command[:-1] + ["--lr", "nan"], capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2 and "lr must be a finite number" in bad.stderr
