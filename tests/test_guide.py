"""The teacher's guide (guide/) says what it claims, and the panels show it.

Every guide page ends with one fenced ``guide-settings`` block: a JSON list of
the slider / dropdown settings the page tells the teacher to make, each with the
observation a test can check. The format (documented in guide/README.md):

    {"id": "03-sigmoid-depth-20",                  # cited in the prose as `03-sigmoid-depth-20`
     "panel": "helpers.widgets.activations:ActivationPanel",
     "init": {...},                                # optional constructor keywords
     "fixture": "tiny_poem_decoder",               # optional: (model, tokenizer) first
     "status_contains": "unknown character",       # optional: an error shown on purpose
     "set": {"activation": "sigmoid", "depth": 20},  # in order; a button: "click"
     "expect": [
        {"readout_contains": "max|f'| = 0.25"},
        {"readout_number": "after 20 layers: (\\S+)", "lt": 1e-10},
        {"readout_number": "with: (\\S+); without: (\\S+)", "groups_equal": true},
        {"call": "helpers.widgets.backprop:network_state", "args": [0, -0.5, 1],
         "index": ["weight_grads", 0], "column": 0, "abs_max_le": 0},
        {"same_readout_as": "13-greedy-top-k-1"}]}

An entry without "panel" is a fact the page states (checked by "call" only).
Only the public panel API is used (``controls``, ``readout``, ``status``), so the
test survives the panels' refactors. Introduced with the guide (issue 15).
"""

from __future__ import annotations

import html
import importlib
import json
import math
import re
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "guide"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PAGES = [GUIDE / f"{nb.stem}.md" for nb in NOTEBOOKS]
BLOCK = re.compile(r"```guide-settings\n(.*?)\n```", re.S)
CITED = re.compile(r"`(\d\d-[a-z0-9-]+)`")
SECTIONS = (
    "用时",
    "本节目标",
    "投影时刻",
    "提问",
    "常见误解",
    "时间不够时",
    "布置练习",
)
COMPARISONS = {
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}


def page_settings(page: Path) -> list[dict]:
    blocks = BLOCK.findall(page.read_text(encoding="utf-8"))
    assert len(blocks) == 1, f"{page.name}: exactly one ```guide-settings block"
    settings = json.loads(blocks[0])
    assert isinstance(settings, list)
    return settings


def all_settings() -> list[tuple[str, dict]]:
    found = []
    for page in PAGES:
        if page.exists():
            found.extend((page.name, s) for s in page_settings(page))
    return found


SETTINGS = all_settings()
BY_ID = {s["id"]: s for _, s in SETTINGS}


# --- building and moving panels ------------------------------------------------
def _import(path: str):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _tiny_poem_decoder():
    """An untrained small decoder over a few poem characters (the guide's checks
    on the generation panel hold for any model: greedy is greedy)."""
    import torch

    from helpers.data.char_tokenizer import CharTokenizer
    from helpers.transformer import Decoder, DecoderConfig

    tokenizer = CharTokenizer.from_text(
        "床前明月光，疑是地上霜。举头望明月，低头思故乡。春\n"
    )
    torch.manual_seed(0)
    config = DecoderConfig(
        vocab_size=tokenizer.vocab_size,
        context_length=64,
        n_layer=2,
        n_head=4,
        d_model=64,
        d_ff=192,
    )
    return Decoder(config), tokenizer


FIXTURES = {"tiny_poem_decoder": _tiny_poem_decoder}


def readout_text(panel) -> str:
    text = panel.readout.value.replace("<br>", "\n")
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def build(setting: dict):
    """The panel of ``setting`` with its controls set (None for a fact-only entry)."""
    if "panel" not in setting:
        assert not setting["set"], f"{setting['id']}: controls to set but no panel"
        return None
    cls = _import(setting["panel"])
    args = FIXTURES[setting["fixture"]]() if "fixture" in setting else ()
    panel = cls(*args, **setting.get("init", {}))
    assert panel.status.value == "", f"error at start: {panel.status.value}"
    for name, value in setting["set"].items():
        assert name in panel.controls, (
            f"{setting['id']}: {type(panel).__name__} has no control {name!r}; "
            f"it has {list(panel.controls)}"
        )
        control = panel.controls[name]
        if isinstance(control, widgets.Button):
            assert value == "click", f"{setting['id']}: {name} is a button"
            control.click()
        else:
            options = getattr(control, "options", None)
            if options is not None:
                values = [o[1] if isinstance(o, tuple) else o for o in options]
                assert value in values, (
                    f"{setting['id']}: {value!r} is not an option of {name}: {values}"
                )
            control.value = value
            shown = control.value
            same = (
                math.isclose(shown, value, rel_tol=1e-9)
                if isinstance(value, float)
                else shown == value
            )
            assert same, (
                f"{setting['id']}: {name} did not accept {value!r} (shows {shown!r}; "
                f"range {getattr(control, 'min', '?')} … {getattr(control, 'max', '?')})"
            )
        if "status_contains" not in setting:
            assert panel.status.value == "", (
                f"{setting['id']}: setting {name} = {value!r} showed an error: "
                f"{panel.status.value}"
            )
    if "status_contains" in setting:  # the guide shows a friendly error on purpose
        assert setting["status_contains"] in html.unescape(panel.status.value), (
            f"{setting['id']}: status line is {panel.status.value!r}"
        )
    return panel


# --- expectations -------------------------------------------------------------
def _compare(value: float, expectation: dict, what: str) -> None:
    checked = False
    for key, op in COMPARISONS.items():
        if key in expectation:
            checked = True
            holds = bool(np.all(op(np.asarray(value, dtype=float), expectation[key])))
            assert holds, f"{what} = {value!r}, expected {key} {expectation[key]}"
    if "approx" in expectation:
        checked = True
        rel = expectation.get("rel", 1e-3)
        target = expectation["approx"]
        # an absolute tolerance only for a target of 0: for a tiny target (1e-7)
        # it would accept any other tiny number and check nothing
        assert math.isclose(
            value, target, rel_tol=rel, abs_tol=rel * 1e-3 if target == 0 else 0.0
        ), f"{what} = {value!r}, expected ≈ {target} (rel {rel})"
    if "abs_max_le" in expectation:
        checked = True
        largest = float(np.max(np.abs(value)))
        assert largest <= expectation["abs_max_le"], f"max |{what}| = {largest}"
    if "abs_min_le" in expectation:
        checked = True
        smallest = float(np.min(np.abs(value)))
        assert smallest <= expectation["abs_min_le"], f"min |{what}| = {smallest}"
    assert checked, f"{what}: the expectation names no comparison: {expectation}"


def _number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def _pick(result, path):
    for key in path:
        result = result[key]
    return result


def check_expectation(setting: dict, panel, expectation: dict) -> None:
    sid = setting["id"]
    shown = readout_text(panel) if panel is not None else ""
    if panel is None:
        assert "call" in expectation, f"{sid}: a fact-only entry checks calls only"
    if "readout_contains" in expectation:
        assert expectation["readout_contains"] in shown, (
            f"{sid}: readout lacks {expectation['readout_contains']!r}:\n{shown}"
        )
    elif "readout_lacks" in expectation:
        assert expectation["readout_lacks"] not in shown, f"{sid}:\n{shown}"
    elif "readout_number" in expectation:
        match = re.search(expectation["readout_number"], shown)
        assert match, (
            f"{sid}: no match for {expectation['readout_number']!r} in:\n{shown}"
        )
        if expectation.get("groups_equal"):  # two numbers the readout must show equal
            first, second = (_number(g) for g in match.groups())
            assert math.isclose(first, second, rel_tol=1e-9, abs_tol=1e-12), (
                f"{sid}: {first} ≠ {second} in:\n{shown}"
            )
        else:
            _compare(_number(match.group(1)), expectation, f"{sid} readout number")
    elif "call" in expectation:
        result = _import(expectation["call"])(
            *expectation.get("args", []), **expectation.get("kwargs", {})
        )
        value = _pick(result, expectation.get("index", []))
        if "column" in expectation:
            value = np.asarray(value)[:, expectation["column"]]
        if "ratio_to" in expectation:
            value = value / _pick(result, expectation["ratio_to"])
        _compare(value, expectation, f"{sid} {expectation['call']}")
    elif "same_readout_as" in expectation:
        other = build(BY_ID[expectation["same_readout_as"]])
        assert readout_text(other) == shown, (
            f"{sid}: readout differs from {expectation['same_readout_as']}"
        )
    else:
        raise AssertionError(f"{sid}: unknown expectation {expectation}")


# --- the tests ------------------------------------------------------------------
def test_one_page_per_notebook_and_the_extra_pages():
    missing = [p.name for p in PAGES if not p.exists()]
    assert not missing, f"guide pages missing: {missing}"
    for extra in ("README.md", "course_plans.md"):
        assert (GUIDE / extra).exists(), extra
    assert len(SETTINGS) >= 2 * len(PAGES) - 2, "2–4 checked moments per page"


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_page_has_every_section_and_cites_its_settings(page):
    text = page.read_text(encoding="utf-8")
    assert text.startswith(f"# {page.stem[:2]} · "), "title '# NN · …'"
    for section in SECTIONS:
        assert re.search(rf"^##+ .*{section}", text, re.M), f"no section {section}"
    minutes = re.search(r"用时[：:]\s*约?\s*(\d+)\s*分钟", text)
    assert minutes and 10 <= int(minutes.group(1)) <= 90, "用时：约 N 分钟"
    prose = BLOCK.sub("", text)
    ids = {s["id"] for s in page_settings(page)}
    cited = set(CITED.findall(prose))
    assert ids <= cited, f"settings never cited in the prose: {sorted(ids - cited)}"
    assert cited <= set(BY_ID), (
        f"cited settings with no check: {sorted(cited - set(BY_ID))}"
    )
    assert all(i.startswith(page.stem[:2]) for i in ids), "ids start with NN-"
    notebook = (ROOT / "notebooks" / f"{page.stem}.ipynb").read_text(encoding="utf-8")
    for setting in page_settings(page):
        if "panel" not in setting:
            continue  # a fact-only entry (a number the page states)
        name = setting["panel"].rpartition(":")[2]
        assert name in notebook, f"{setting['id']}: {name} is not used in {page.stem}"


def test_setting_ids_are_unique():
    ids = [s["id"] for _, s in SETTINGS]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.parametrize(
    "setting", [s for _, s in SETTINGS], ids=[s["id"] for _, s in SETTINGS]
)
def test_setting_is_accepted_and_shows_what_the_guide_says(setting):
    assert setting["expect"], f"{setting['id']}: nothing to check"
    panel = build(setting)
    for expectation in setting["expect"]:
        check_expectation(setting, panel, expectation)


def test_approx_is_relative_even_for_tiny_targets():
    """A guide number like 3.6e-7 is checked to its own precision, not to 1e-6."""
    _compare(1.05e-7, {"approx": 1e-7, "rel": 0.1}, "tiny")
    with pytest.raises(AssertionError):
        _compare(2e-7, {"approx": 1e-7, "rel": 0.1}, "tiny")
    _compare(0.0, {"approx": 0, "rel": 0.01}, "zero")  # a target of 0 keeps a floor
    with pytest.raises(AssertionError):
        _compare(0.5, {"approx": 0, "rel": 0.01}, "zero")


def _plan_rows(text: str, heading: str) -> list[tuple[str, str, int]]:
    part = text.split(heading, 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\|\s*(\d+)\s*\|(.+?)\|\s*(\d+)\s*\|\s*$", part, re.M)
    return [(n, content, int(total)) for n, content, total in rows]


@pytest.mark.parametrize(
    ("heading", "sessions", "limit"),
    [("## 方案 A", 8, 90), ("## 方案 B", 16, 45)],
)
def test_course_plans_fit_their_sessions_and_cover_every_notebook(
    heading, sessions, limit
):
    text = (GUIDE / "course_plans.md").read_text(encoding="utf-8")
    rows = _plan_rows(text, heading)
    assert [int(n) for n, _, _ in rows] == list(range(1, sessions + 1))
    for n, content, total in rows:
        parts = [int(m) for m in re.findall(r"[（(](\d+)\s*分钟?[)）]", content)]
        assert parts and sum(parts) == total, f"session {n}: {parts} ≠ {total}"
        assert total <= limit, f"session {n}: {total} > {limit} minutes"
    notebook = re.compile(r"(?<![\d(\uff08])(\d\d)(?=[ ·\u00a0])")
    covered = {int(m) for _, content, _ in rows for m in notebook.findall(content)}
    assert set(range(len(NOTEBOOKS))) <= covered, sorted(set(range(16)) - covered)
