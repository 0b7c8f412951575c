import pytest

from helpers.pipeline import simulate_pipeline, stage_order


@pytest.mark.parametrize("schedule", ["gpipe", "1f1b"])
@pytest.mark.parametrize("t_backward", [1.0, 2.0])
def test_simulated_bubble_equals_formula_on_a_grid(schedule, t_backward):
    for p in range(1, 7):
        for m in range(1, 10):
            timeline = simulate_pipeline(p, m, schedule, 1.0, t_backward)
            assert timeline.bubble_fraction == pytest.approx((p - 1) / (m + p - 1))
            assert timeline.makespan == pytest.approx((m + p - 1) * (1 + t_backward))


def test_four_devices_four_micro_batches_is_three_sevenths():
    timeline = simulate_pipeline(4, 4, "gpipe")
    assert timeline.bubble_fraction == pytest.approx(3 / 7)
    assert timeline.makespan == 14  # the seed's "14 time stages", 6 of them idle
    idle = [
        timeline.makespan - sum(o.end - o.start for o in timeline.ops if o.stage == s)
        for s in range(4)
    ]
    assert idle == [6, 6, 6, 6]


def test_dependencies_hold_in_every_timeline():
    for schedule in ("gpipe", "1f1b"):
        timeline = simulate_pipeline(3, 5, schedule, 1.0, 2.0)
        end = {(o.kind, o.stage, o.micro): o.end for o in timeline.ops}
        for op in timeline.ops:
            if op.kind == "F" and op.stage > 0:
                assert op.start >= end[("F", op.stage - 1, op.micro)]
            if op.kind == "B":
                assert op.start >= end[("F", op.stage, op.micro)]
                if op.stage < 2:
                    assert op.start >= end[("B", op.stage + 1, op.micro)]
        for stage in range(3):  # a device runs one op at a time
            ops = sorted(
                (o for o in timeline.ops if o.stage == stage), key=lambda o: o.start
            )
            assert all(a.end <= b.start for a, b in zip(ops, ops[1:], strict=False))


def test_1f1b_holds_fewer_micro_batches_than_gpipe():
    assert simulate_pipeline(4, 8, "gpipe").peak_in_flight == (8, 8, 8, 8)
    assert simulate_pipeline(4, 8, "1f1b").peak_in_flight == (4, 3, 2, 1)


def test_stage_order_covers_every_micro_batch_once():
    for schedule in ("gpipe", "1f1b"):
        order = stage_order(schedule, 1, 4, 6)
        assert sorted(order) == sorted(
            [("F", i) for i in range(6)] + [("B", i) for i in range(6)]
        )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_stages": 0, "n_micro": 4}, ValueError, "n_stages must be >= 1"),
        ({"n_stages": 2, "n_micro": 2.5}, TypeError, "n_micro must be an integer"),
        ({"n_stages": 2, "n_micro": 2, "schedule": "zb"}, ValueError, "gpipe"),
        ({"n_stages": 2, "n_micro": 2, "t_backward": 0}, ValueError, "t_backward"),
    ],
)
def test_bad_settings(kwargs, error, match):
    with pytest.raises(error, match=match):
        simulate_pipeline(**kwargs)
