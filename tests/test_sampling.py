"""Tests of helpers.sampling: the filters, sample_next and the KV allocators."""

import math

import pytest
import torch

from helpers.sampling import (
    ContiguousKVAllocator,
    PagedKVAllocator,
    compare_allocators,
    make_sampler,
    next_token_probs,
    sample_next,
    simulate_batching,
    temperature_scale,
    top_k_filter,
    top_p_filter,
)

LOGITS = torch.tensor([2.0, 1.0, 0.5, -1.0, 3.0])


def test_top_k_keeps_exactly_the_k_most_likely():
    for k in range(1, 6):
        kept = torch.isfinite(top_k_filter(LOGITS, k))
        expected = torch.zeros(5, dtype=torch.bool)
        expected[torch.argsort(LOGITS, descending=True)[:k]] = True
        assert torch.equal(kept, expected)


def test_top_k_with_ties_still_keeps_k():
    logits = torch.tensor([[1.0, 1.0, 1.0, 0.0]])
    assert int(torch.isfinite(top_k_filter(logits, 2)).sum()) == 2


def test_top_p_keeps_the_smallest_set_reaching_p():
    probs = torch.tensor([0.5, 0.3, 0.15, 0.05])
    logits = probs.log()
    cases = {0.4: 1, 0.5: 1, 0.51: 2, 0.8: 2, 0.81: 3, 0.95: 3, 0.96: 4, 1.0: 4}
    for p, n_kept in cases.items():
        kept = torch.isfinite(top_p_filter(logits, p))
        assert int(kept.sum()) == n_kept, p
        assert kept[:n_kept].all()  # the most likely ones


def test_top_p_matches_brute_force_on_random_rows():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(20, 12, generator=generator, dtype=torch.float64)
    for p in (0.1, 0.5, 0.9, 0.99):
        kept = torch.isfinite(top_p_filter(logits, p))
        probs = torch.softmax(logits, -1)
        for row in range(20):
            sorted_p = torch.sort(probs[row], descending=True).values
            n = int((torch.cumsum(sorted_p, 0) < p - 1e-12).sum()) + 1
            assert int(kept[row].sum()) == min(n, 12)


def test_temperature_zero_equals_greedy_and_small_temperature_approaches_it():
    logits = torch.randn(6, 10, generator=torch.Generator().manual_seed(1))
    greedy = logits.argmax(-1, keepdim=True)
    assert torch.equal(sample_next(logits, temperature=0.0), greedy)
    probs = next_token_probs(logits, temperature=1e-3)
    assert torch.equal(probs.argmax(-1, keepdim=True), greedy)
    assert float(probs.max(-1).values.min()) > 0.99


def test_temperature_scale_is_division():
    torch.testing.assert_close(temperature_scale(LOGITS, 2.0), LOGITS / 2)


@pytest.mark.parametrize(
    "settings",
    [
        {"temperature": 0.7},
        {"temperature": 1.5, "top_k": 3},
        {"temperature": 1.0, "top_p": 0.6},
        {"temperature": 0.9, "top_k": 4, "top_p": 0.9},
    ],
)
def test_outputs_are_valid_distributions(settings):
    logits = torch.randn(4, 50, generator=torch.Generator().manual_seed(2))
    probs = next_token_probs(logits, **settings)
    assert probs.shape == logits.shape
    assert bool((probs >= 0).all())
    torch.testing.assert_close(probs.sum(-1), torch.ones(4))


def test_unfiltered_probs_equal_softmax():
    torch.testing.assert_close(next_token_probs(LOGITS), torch.softmax(LOGITS, -1))


def test_sample_next_only_draws_kept_tokens_and_is_reproducible():
    logits = torch.randn(3, 30, generator=torch.Generator().manual_seed(3))
    allowed = torch.isfinite(top_k_filter(logits, 5))
    draws = [
        sample_next(logits, 1.0, top_k=5, generator=torch.Generator().manual_seed(s))
        for s in range(40)
    ]
    for ids in draws:
        assert ids.shape == (3, 1)
        assert bool(allowed.gather(1, ids).all())
    again = sample_next(
        logits, 1.0, top_k=5, generator=torch.Generator().manual_seed(0)
    )
    assert torch.equal(again, draws[0])


def test_sample_frequencies_follow_the_distribution():
    logits = torch.tensor([0.0, math.log(3.0)])  # p = (0.25, 0.75)
    generator = torch.Generator().manual_seed(0)
    ids = sample_next(logits.expand(4000, 2), generator=generator)
    assert abs(float(ids.float().mean()) - 0.75) < 0.03


def test_one_dimensional_logits_give_one_id():
    assert sample_next(LOGITS, temperature=0).shape == (1,)
    assert int(sample_next(LOGITS, temperature=0)) == 4


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"temperature": -0.1}, ValueError, "temperature"),
        ({"temperature": float("nan")}, ValueError, "temperature"),
        ({"top_k": 0}, ValueError, "top_k"),
        ({"top_k": 6}, ValueError, "top_k"),
        ({"top_k": 2.5}, TypeError, "top_k"),
        ({"top_p": 0.0}, ValueError, "top_p"),
        ({"top_p": 1.2}, ValueError, "top_p"),
    ],
)
def test_invalid_settings_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        next_token_probs(LOGITS, **kwargs)


def test_invalid_logits_raise():
    with pytest.raises(TypeError, match="torch.Tensor"):
        sample_next([1.0, 2.0])
    with pytest.raises(ValueError, match="shape"):
        sample_next(torch.zeros(2, 3, 4))
    with pytest.raises(ValueError, match="NaN"):
        sample_next(torch.tensor([1.0, float("nan")]))
    with pytest.raises(TypeError, match="floating"):
        sample_next(torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="empty"):
        sample_next(torch.zeros(0))
    with pytest.raises(TypeError, match="generator"):
        sample_next(LOGITS, generator=0)
    with pytest.raises(ValueError, match="temperature"):
        temperature_scale(LOGITS, 0.0)
    with pytest.raises(ValueError, match="top_p"):
        make_sampler(top_p=2.0)


def test_make_sampler_maps_batch_logits_to_ids():
    sampler = make_sampler(temperature=0)
    logits = torch.randn(2, 7, generator=torch.Generator().manual_seed(4))
    assert torch.equal(sampler(logits), logits.argmax(-1, keepdim=True))


# --- KV-cache allocators --------------------------------------------------
def test_compare_allocators_hand_checked():
    report = compare_allocators([5, 17, 9], max_seq_len=32, block_size=4)
    contiguous, paged = report["contiguous"], report["paged"]
    assert (contiguous.used_slots, contiguous.reserved_slots) == (31, 96)
    assert contiguous.wasted_slots == 65
    assert contiguous.waste_fraction == pytest.approx(65 / 96)
    # ceil(5/4) + ceil(17/4) + ceil(9/4) = 2 + 5 + 3 = 10 blocks = 40 slots
    assert (paged.used_slots, paged.reserved_slots, paged.wasted_slots) == (31, 40, 9)
    assert paged.waste_fraction == pytest.approx(9 / 40)


def test_paged_waste_is_below_one_block_per_sequence():
    lengths = [1, 4, 7, 8, 30, 31, 100]
    for block_size in (1, 4, 16):
        paged = compare_allocators(lengths, max_seq_len=128, block_size=block_size)
        assert paged["paged"].wasted_slots < len(lengths) * block_size
    assert (
        compare_allocators(lengths, max_seq_len=128, block_size=1)["paged"].wasted_slots
        == 0
    )


def test_block_table_grows_on_demand_and_reuses_freed_blocks():
    allocator = PagedKVAllocator(num_blocks=6, block_size=4)
    allocator.add(0)
    allocator.add(1)
    allocator.append(0, 5)  # blocks 0, 1
    allocator.append(1, 3)  # block 2
    allocator.append(0, 4)  # 9 tokens: block 3 added
    assert allocator.block_tables == {0: [0, 1, 3], 1: [2]}
    assert allocator.slot_of(0, 8) == (3, 0)
    assert allocator.slot_of(0, 5) == (1, 1)
    report = allocator.report()
    assert (report.used_slots, report.reserved_slots, report.free_slots) == (12, 16, 8)
    allocator.free(0)
    allocator.add(2)
    allocator.append(2, 6)  # lowest free ids first: 0 and 1
    assert allocator.block_tables[2] == [0, 1]
    with pytest.raises(MemoryError, match="block"):
        allocator.append(2, 20)


def test_contiguous_allocator_reserves_max_len_and_runs_out():
    allocator = ContiguousKVAllocator(capacity=100, max_seq_len=32)
    for seq in range(3):
        allocator.add(seq)
        allocator.append(seq, 2)
    assert not allocator.can_add()  # 3 × 32 = 96, 4 slots left
    report = allocator.report()
    assert (report.used_slots, report.reserved_slots, report.free_slots) == (6, 96, 4)
    with pytest.raises(MemoryError, match="reservation"):
        allocator.add(3)
    allocator.free(1)
    allocator.add(3)
    assert allocator.start[3] == 32  # first fit into the freed region
    with pytest.raises(ValueError, match="max_seq_len"):
        allocator.append(3, 40)


def test_allocator_bad_input():
    with pytest.raises(ValueError, match="max_seq_len"):
        ContiguousKVAllocator(capacity=10, max_seq_len=11)
    with pytest.raises(ValueError, match="block_size"):
        PagedKVAllocator(num_blocks=4, block_size=0)
    allocator = PagedKVAllocator(4, 4)
    with pytest.raises(ValueError, match="unknown sequence"):
        allocator.append(7)
    allocator.add(0)
    with pytest.raises(ValueError, match="already"):
        allocator.add(0)
    with pytest.raises(ValueError, match="empty"):
        compare_allocators([], max_seq_len=8, block_size=2)
    with pytest.raises(ValueError, match="length"):
        compare_allocators([9], max_seq_len=8, block_size=2)
    with pytest.raises(TypeError, match="sequence"):
        compare_allocators("12", max_seq_len=8, block_size=2)


def test_batching_hand_checked():
    static = simulate_batching([2, 8, 3, 3], 2, "static")
    continuous = simulate_batching([2, 8, 3, 3], 2, "continuous")
    assert static.steps == 11 and static.finish_step == (2, 8, 11, 11)
    assert continuous.steps == 8 and continuous.finish_step == (2, 8, 5, 8)
    assert static.busy_slot_steps == continuous.busy_slot_steps == 16
    assert static.utilization == pytest.approx(16 / 22)
    assert continuous.utilization == pytest.approx(16 / 16)


def test_batching_equal_lengths_gain_nothing_and_bad_input():
    same = [4] * 6
    assert simulate_batching(same, 3, "static").steps == 8
    assert simulate_batching(same, 3, "continuous").steps == 8
    with pytest.raises(ValueError, match="policy"):
        simulate_batching(same, 3, "dynamic")
    with pytest.raises(ValueError, match="batch_size"):
        simulate_batching(same, 0, "static")
    with pytest.raises(ValueError, match="empty"):
        simulate_batching([], 2, "static")


# --- checkers of notebook 14 and the panels' logic --------------------------
def test_nb14_checkers_accept_reference_and_reject_wrong():
    from helpers.checks.nb14 import (
        check_min_p_probs,
        check_paged_waste,
        check_top_k_probs,
    )
    from helpers.sampling import min_p_filter

    def min_p(logits, p):
        return torch.softmax(min_p_filter(logits, p), -1)

    assert check_min_p_probs(min_p, quiet=True)
    assert not check_min_p_probs(
        lambda logits, p: torch.softmax(logits, -1), quiet=True
    )

    def top_k(logits, k):
        return torch.softmax(top_k_filter(logits, k), -1)

    assert check_top_k_probs(top_k, quiet=True)
    assert not check_top_k_probs(
        lambda logits, k: torch.softmax(logits, -1), quiet=True
    )
    waste = lambda ls, b: sum(-(-n // b) * b - n for n in ls)  # noqa: E731
    assert check_paged_waste(waste, quiet=True)
    assert not check_paged_waste(lambda ls, b: 0, quiet=True)


def test_allocation_panel_logic_is_hand_checkable():
    from helpers.sampling import allocate_both, random_lengths

    contiguous, paged, admitted = allocate_both([5, 17, 9], 32, 4, capacity=64)
    assert admitted == {"contiguous": 2, "paged": 3}  # 64 slots hold 2 × 32
    assert paged.report().reserved_slots == 40
    assert random_lengths(5, 10, seed=3) == random_lengths(5, 10, seed=3)
    assert all(1 <= n <= 10 for n in random_lengths(50, 10))


def test_sampling_panel_distribution():
    from helpers.widgets.inference import SamplingPanel

    panel = SamplingPanel()
    panel.controls["top_k"].value = 2
    probs = panel.probs()
    assert int((probs > 0).sum()) == 2
    assert "candidates kept: 2 (mat, sofa)" in panel.readout.value
    panel.controls["temperature"].value = 0.0
    assert float(panel.probs().max()) == 1.0


# --- numerical edge cases and sizes ------------------------------------------------


@pytest.mark.parametrize("temperature", [1e-30, 1e-300, 5e-324])
def test_tiny_temperature_is_greedy_not_nan(temperature):
    logits = torch.tensor([[1.0, 3.0, -2.0, 2.999], [50.0, -50.0, 0.0, 49.0]])
    probs = next_token_probs(logits, temperature)
    assert not torch.isnan(probs).any()
    torch.testing.assert_close(probs, next_token_probs(logits, 0.0))
    gen = torch.Generator().manual_seed(0)
    ids = sample_next(logits, temperature, generator=gen)
    assert ids.flatten().tolist() == [1, 0]
    kept = next_token_probs(logits, temperature, top_k=2, top_p=0.5)
    assert not torch.isnan(kept).any()


def test_compare_allocators_with_a_huge_max_len_is_instant_and_exact():
    import time

    start = time.perf_counter()
    report = compare_allocators([5, 17, 9], max_seq_len=10**8, block_size=4)
    assert time.perf_counter() - start < 5  # was ~9 s and ~3 GB of free-block list
    assert report["paged"].reserved_slots == 40
    assert report["contiguous"].reserved_slots == 3 * 10**8
    assert report["paged"].free_slots == 3 * 10**8 - 40


def test_continue_text_lives_in_core():
    from helpers.data.char_tokenizer import CharTokenizer
    from helpers.sampling import continue_text
    from helpers.transformer import Decoder, DecoderConfig

    tokenizer = CharTokenizer.from_text("abc ")
    torch.manual_seed(0)
    model = Decoder(
        DecoderConfig(
            vocab_size=4, context_length=8, n_layer=1, n_head=2, d_model=8, d_ff=8
        )  # fmt: skip
    )
    text = continue_text(model, tokenizer, "ab", max_new_tokens=12, seed=3)
    assert len(text) == 12 and set(text) <= set("abc ")
    assert text == continue_text(model, tokenizer, "ab", max_new_tokens=12, seed=3)
    with pytest.raises(ValueError, match="prompt"):
        continue_text(model, tokenizer, "")
    with pytest.raises(TypeError, match="Decoder"):
        continue_text(object(), tokenizer, "ab")


def test_sampler_reads_no_logit_value_on_the_host(monkeypatch):
    """make_sampler checks its settings once; per token it must not move a value
    to the host (a GPU sync per generated token)."""
    sample = make_sampler(0.7, top_k=50, top_p=0.9, generator=torch.Generator())
    logits = torch.randn(3, 20)
    for name in ("item", "tolist", "__int__", "__float__", "__bool__", "any", "all"):
        monkeypatch.setattr(torch.Tensor, name, _forbidden(name))
    ids = sample(logits)  # top_k above the vocabulary keeps every token
    greedy = make_sampler(0.0)(logits)
    monkeypatch.undo()
    assert ids.shape == (3, 1) and 0 <= int(ids.min()) and int(ids.max()) < 20
    assert torch.equal(greedy, logits.argmax(-1, keepdim=True))
    with pytest.raises(ValueError, match=r"\(B, V\)"):
        sample(torch.randn(20))
    with pytest.raises(TypeError, match="generator"):
        make_sampler(1.0, generator=0)


def _forbidden(name):
    def fail(*args, **kwargs):
        raise AssertionError(f"Tensor.{name} called while sampling")

    return fail
