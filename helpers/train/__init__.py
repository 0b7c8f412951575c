"""Training the tiny decoder, for notebook 13 and the command line.

Introduced in 13_train_a_tiny_llm. One package, one job per module:

* ``config``: ``TrainConfig`` (a ``DecoderConfig`` plus the optimisation
  settings) and the presets ``cpu``, ``poems``, ``gpu`` and ``addition``;
* ``loop``: ``train(model, batches, config)`` and ``estimate_loss``;
* ``distributed``: the ``torchrun`` plumbing (ranks, joining the group);
* ``cli``: ``python -m helpers.train`` (corpus, checks, checkpoints, JSON line).

Device, dtype, autocast and the fp16 gradient scaler come from
``helpers.runtime`` only.
"""

from helpers.train.cli import check_output_folder, main, sample_poems
from helpers.train.config import (
    PRESETS,
    TrainConfig,
    default_preset,
    epochs,
    model_shape,
    preset,
    swiglu_width,
)
from helpers.train.distributed import is_main_process, ranks_from_env, world
from helpers.train.loop import (
    IGNORE_INDEX,
    TrainProgress,
    TrainResult,
    TrainState,
    build_optimizer,
    estimate_loss,
    train,
)

__all__ = [
    "IGNORE_INDEX",
    "PRESETS",
    "TrainConfig",
    "TrainProgress",
    "TrainResult",
    "TrainState",
    "build_optimizer",
    "check_output_folder",
    "default_preset",
    "epochs",
    "estimate_loss",
    "is_main_process",
    "main",
    "model_shape",
    "preset",
    "ranks_from_env",
    "sample_poems",
    "swiglu_width",
    "train",
    "world",
]
