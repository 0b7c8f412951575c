"""helpers.cluster: ring all-reduce, data-parallel traffic, activation memory,
tensor-parallel partial sums (15_parallel_training)."""

import numpy as np
import pytest
import torch

from helpers.cluster import (
    activation_bytes_per_layer,
    all_reduce_bytes_per_device,
    data_parallel_comm_bytes,
    ring_all_reduce,
    tensor_parallel_mlp_partials,
)
from helpers.parallel import mlp_reference


@pytest.mark.parametrize("n_devices", [1, 2, 3, 4, 8])
def test_ring_all_reduce_sums_and_sends_two_n_minus_one_over_n(n_devices):
    rng = np.random.default_rng(n_devices)
    arrays = [rng.normal(size=(6, 4)) for _ in range(n_devices)]
    results, sent = ring_all_reduce(arrays)
    for result in results:
        np.testing.assert_allclose(result, sum(arrays), rtol=1e-12)
    if 24 % n_devices == 0:  # equal chunks: exactly the formula
        assert sent == [all_reduce_bytes_per_device(24, n_devices)] * n_devices
    assert sum(sent) == pytest.approx(
        n_devices * all_reduce_bytes_per_device(24, n_devices)
    )


def test_ring_all_reduce_leaves_inputs_alone_and_checks_shapes():
    arrays = [np.ones(4), 2 * np.ones(4)]
    ring_all_reduce(arrays)
    assert arrays[0].tolist() == [1, 1, 1, 1]
    with pytest.raises(ValueError, match="same shape"):
        ring_all_reduce([np.ones(3), np.ones(4)])
    with pytest.raises(ValueError, match="at least one"):
        ring_all_reduce([])


def test_zero3_moves_one_and_a_half_times_ddp():
    ddp = data_parallel_comm_bytes(7e9, 64, 0)
    assert ddp == pytest.approx(2 * 63 / 64 * 7e9 * 2)
    assert (
        data_parallel_comm_bytes(7e9, 64, 1)
        == data_parallel_comm_bytes(7e9, 64, 2)
        == ddp
    )
    assert data_parallel_comm_bytes(7e9, 64, 3) == pytest.approx(1.5 * ddp)
    assert data_parallel_comm_bytes(7e9, 1, 3) == 0
    with pytest.raises(ValueError):
        data_parallel_comm_bytes(7e9, 8, 4)


def test_activation_memory_matches_the_published_gpt3_example():
    # GPT-3 175B layer: s = 2048, h = 12288, a = 96, b = 1 -> sbh(34 + 5as/h)
    per_layer = activation_bytes_per_layer(2048, 1, 12288, 96)
    assert per_layer == 2048 * 12288 * (34 + 80)
    assert (
        activation_bytes_per_layer(2048, 1, 12288, 96, recompute="full")
        == 2 * 2048 * 12288
    )
    # linear in the batch, quadratic part in the sequence length
    assert activation_bytes_per_layer(2048, 4, 12288, 96) == 4 * per_layer
    doubled = activation_bytes_per_layer(4096, 1, 12288, 96)
    assert 2 * per_layer < doubled < 4 * per_layer
    with pytest.raises(ValueError):
        activation_bytes_per_layer(2048, 1, 12288, 96, recompute="some")


@pytest.mark.parametrize("n_parts", [1, 2, 4])
def test_tensor_parallel_partials_sum_to_the_unsplit_mlp(n_parts):
    g = torch.Generator().manual_seed(n_parts)
    X, A, B = (
        torch.randn(*s, generator=g, dtype=torch.float64)
        for s in [(3, 6), (6, 8), (8, 5)]
    )
    partials = tensor_parallel_mlp_partials(X, A, B, n_parts)
    assert len(partials) == n_parts
    torch.testing.assert_close(sum(partials), mlp_reference(X, A, B))
    if n_parts > 1:  # each part differs from the whole
        assert not torch.allclose(partials[0], mlp_reference(X, A, B))
    with pytest.raises(ValueError, match="divide"):
        tensor_parallel_mlp_partials(X, A, B, 3)
