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


def test_import_changes_no_global_state():
    import subprocess
    import sys

    code = (
        "import matplotlib as mpl, copy;"
        "before = copy.deepcopy(dict(mpl.rcParams));"
        "import helpers, helpers.runtime, helpers.plotting, helpers.widgets,"
        " helpers.checks, helpers.validate;"
        "assert dict(mpl.rcParams) == before;"
        "import matplotlib.pyplot as plt; assert plt.get_fignums() == []"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
