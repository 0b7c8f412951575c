import random

import numpy as np
import pytest
import torch

from helpers import runtime


def test_set_seed_makes_every_generator_repeat():
    runtime.set_seed(123)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    runtime.set_seed(123)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "0", True])
def test_set_seed_rejects_bad_seeds(bad):
    with pytest.raises((ValueError, TypeError), match="seed"):
        runtime.set_seed(bad)


def test_get_device_auto_is_cpu_without_gpu(monkeypatch):
    monkeypatch.delenv(runtime.DEVICE_ENV, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(runtime, "_mps_available", lambda: False)
    assert runtime.get_device() == torch.device("cpu")


def test_get_device_prefers_cuda_then_mps(monkeypatch):
    monkeypatch.delenv(runtime.DEVICE_ENV, raising=False)
    monkeypatch.setattr(runtime, "_mps_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert runtime.get_device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert runtime.get_device().type == "mps"


def test_environment_variable_overrides(monkeypatch):
    monkeypatch.setenv(runtime.DEVICE_ENV, "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert runtime.get_device() == torch.device("cpu")
    monkeypatch.setenv(runtime.DEVICE_ENV, "tpu")
    with pytest.raises(ValueError, match="expected one of"):
        runtime.get_device()


def test_missing_device_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA GPU"):
        runtime.get_device("cuda")


def test_precision_cuda_uses_bf16_when_supported():
    p = runtime.precision_for("cuda", bf16_supported=True)
    assert p.autocast_dtype is torch.bfloat16 and p.use_fused_adamw
    assert runtime.precision_for("cuda", bf16_supported=False).autocast_dtype is (
        torch.float16
    )


def test_precision_cpu_is_plain_float32():
    p = runtime.precision_for("cpu")
    assert p.autocast_dtype is None and p.param_dtype is torch.float32
    with runtime.autocast("cpu"):
        y = torch.ones(2, 2) @ torch.ones(2, 2)
    assert y.dtype is torch.float32


def test_fast_mode_follows_ci_and_override(monkeypatch):
    monkeypatch.delenv(runtime.FAST_ENV, raising=False)
    monkeypatch.setenv("CI", "true")
    assert runtime.fast_mode()
    monkeypatch.setenv(runtime.FAST_ENV, "0")
    assert not runtime.fast_mode()
    monkeypatch.delenv("CI")
    monkeypatch.setenv(runtime.FAST_ENV, "1")
    assert runtime.fast_mode()
    monkeypatch.setenv(runtime.FAST_ENV, "yes")
    with pytest.raises(ValueError, match="COURSE_FAST"):
        runtime.fast_mode()


def test_describe_environment_names_versions():
    info = runtime.describe_environment()
    assert info["torch"] == torch.__version__
    assert info["device"] in {"cpu", "cuda", "mps"}


def test_importing_every_helpers_module_changes_no_global_state():
    import subprocess
    import sys

    code = """
import copy, importlib, pkgutil
import matplotlib as mpl, numpy as np, torch
rc = copy.deepcopy(dict(mpl.rcParams))
np_state = np.random.get_state()[1].copy()
torch_state = torch.get_rng_state().clone()
threads, dtype = torch.get_num_threads(), torch.get_default_dtype()
import helpers
names = [m.name for m in pkgutil.walk_packages(helpers.__path__, "helpers.")]
for name in names:
    importlib.import_module(name)
assert len(names) > 30, names
assert dict(mpl.rcParams) == rc, "matplotlib style changed"
assert (np.random.get_state()[1] == np_state).all(), "NumPy seed changed"
assert torch.equal(torch.get_rng_state(), torch_state), "torch seed changed"
assert (torch.get_num_threads(), torch.get_default_dtype()) == (threads, dtype)
import matplotlib.pyplot as plt
assert plt.get_fignums() == [], "a figure was opened"
"""
    subprocess.run([sys.executable, "-c", code], check=True)


def test_training_threads_leave_busy_cores_alone():
    assert runtime.training_threads(load=0.1, cores=2) == 2  # quiet: every core
    assert runtime.training_threads(load=1.6, cores=2) == 1  # one core busy
    assert runtime.training_threads(load=7.0, cores=2) == 1  # never fewer than one
    assert runtime.training_threads(load=2.0, cores=8) == 6
    assert 1 <= runtime.training_threads() <= torch.get_num_threads()
    with pytest.raises(ValueError, match="load"):
        runtime.training_threads(load=-1.0, cores=2)


def test_resolve_device_refuses_missing_accelerators(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert runtime.resolve_device("cpu") == torch.device("cpu")
    assert runtime.resolve_device(torch.device("cpu")) == torch.device("cpu")
    with pytest.raises(ValueError, match="no CUDA GPU"):
        runtime.resolve_device("cuda:0")
    with pytest.raises(ValueError, match="expected one of"):
        runtime.resolve_device("tpu")
    with pytest.raises(TypeError, match="device"):
        runtime.resolve_device(3)


def test_synchronize_is_a_no_op_on_cpu():
    assert runtime.synchronize("cpu") is None


def test_precision_on_a_fake_cuda_device_and_its_scaler():
    old_gpu = runtime.precision_for("cuda", bf16_supported=False)  # T4, V100
    assert old_gpu.autocast_dtype is torch.float16 and old_gpu.needs_grad_scaler
    new_gpu = runtime.precision_for("cuda", bf16_supported=True)
    assert new_gpu.autocast_dtype is torch.bfloat16 and not new_gpu.needs_grad_scaler
    fp16_on_cpu = runtime.Precision("cpu", torch.float16, torch.float32, False, False)
    assert runtime.grad_scaler("cpu", fp16_on_cpu).is_enabled()
    assert not runtime.grad_scaler("cpu").is_enabled()
    with pytest.raises(TypeError, match="Precision"):
        runtime.grad_scaler("cpu", "fp16")


def test_busy_cores_sees_another_busy_process():
    import os
    import subprocess
    import sys
    import time

    quiet = runtime.busy_cores(0.3)
    if quiet is None:  # no /proc/stat (not Linux)
        return
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        busy = runtime.busy_cores(0.5)
    finally:
        spinner.kill()
        spinner.wait()
    assert 0 <= quiet <= (os.cpu_count() or 1)
    assert busy >= 0.6  # one process spinning keeps about one core busy
