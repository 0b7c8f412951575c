"""The offline site builder (tools/build_site.py): panel discovery in notebook
outputs, the frame grid and its order, the panel markup, link rewriting, the
search index, the KaTeX check, and a small build whose files request nothing
from outside the site. The browser test (tests/browser/test_site.py) builds the
whole site and moves its panels in Chromium.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import itertools
import json
import re
import sys
import tarfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
_SPEC = importlib.util.spec_from_file_location(
    "build_site", ROOT / "tools" / "build_site.py"
)
build_site = importlib.util.module_from_spec(_SPEC)
sys.modules["build_site"] = build_site  # dataclasses and worker processes look it up
_SPEC.loader.exec_module(build_site)

#: What makes a browser fetch from another host: an element that loads its
#: src/href (a plain <a href> link is navigation, not a request), CSS url() and
#: @import, and an address in a script.
EXTERNAL = re.compile(
    r"""<(?:script|img|link|iframe|source|video|audio|embed|object|track|input)\b[^>]*"""
    r"""\b(?:src|href|data|srcset|poster)\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|url\(\s*["']?\s*(?:https?:)?//|@import""",
    re.I,
)
SCRIPT_URL = re.compile(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", re.I)


def _panel_output(cls: str, **extra) -> dict:
    return {
        "output_type": "execute_result",
        "execution_count": 1,
        "metadata": {},
        "data": {
            "text/plain": f"<{cls}: interactive panel>",
            "image/png": base64.b64encode(b"\x89PNG fake").decode(),
            "application/vnd.jupyter.widget-view+json": {"model_id": "x"},
            **extra,
        },
    }


def _notebook(*cells) -> dict:
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def _code(source: str, *outputs) -> dict:
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


# ------------------------------------------------------------------ discovery


def test_find_panels_reads_the_constructor_call_and_the_panel_mime():
    nb = _notebook(
        _code("from helpers.widgets.optimizers import OptimizerPanel, SchedulePanel"),
        _code(
            "OptimizerPanel(surface='bowl', optimizer=\"adam\")",
            _panel_output("OptimizerPanel"),
        ),
        _code(
            "print('hello')",
            {"output_type": "stream", "name": "stdout", "text": "hello"},
        ),
        _code(
            "SchedulePanel()",
            _panel_output(
                "SchedulePanel",
                **{
                    build_site.PANEL_MIME: {
                        "module": "helpers.widgets.optimizers",
                        "class": "SchedulePanel",
                        "kwargs": {},
                        "rebuildable": True,
                        "controls": {"warmup": {"kind": "slider"}},
                    }
                },
            ),
        ),
        _code(
            "GenerationPanel(model, tokenizer, '神经网络')",
            _panel_output(
                "GenerationPanel",
                **{
                    build_site.PANEL_MIME: {
                        "module": "helpers.widgets.generation",
                        "class": "GenerationPanel",
                        "kwargs": {"prompt": "神经网络"},
                        "rebuildable": False,
                        "not_json": ["model", "tokenizer"],
                        "controls": {"top_k": {"kind": "slider", "min": 0, "max": 50}},
                    }
                },
            ),
        ),
    )
    specs = build_site.find_panels(nb, "07_optimizers")
    assert [(s.cls, s.index, s.cell) for s in specs] == [
        ("OptimizerPanel", 0, 1), ("SchedulePanel", 1, 3), ("GenerationPanel", 2, 4),
    ]  # fmt: skip
    first, second, third = specs
    assert first.module == "helpers.widgets.optimizers"
    assert first.kwargs == {"surface": "bowl", "optimizer": "adam"}
    assert first.static_reason is None and first.key == "07_optimizers-p0"
    assert second.controls == {"warmup": {"kind": "slider"}}
    assert third.static_reason is not None and "model" in third.static_reason
    assert third.stored_png  # the saved image is shown instead


def test_a_panel_built_from_notebook_objects_is_static_with_the_reason():
    nb = _notebook(
        _code(
            "from helpers.widgets.generation import GenerationPanel\n"
            "GenerationPanel(model, tokenizer, '神经网络')",
            _panel_output("GenerationPanel"),
        )
    )
    (spec,) = build_site.find_panels(nb, "13_train_a_tiny_llm")
    assert spec.static_reason and "GenerationPanel" in spec.static_reason
    markup = build_site.static_panel_markup(spec)
    assert "data:image/png;base64," in markup and "JupyterLab" in markup


def test_find_panels_refuses_what_is_not_a_notebook():
    with pytest.raises(TypeError, match="parsed notebook"):
        build_site.find_panels(["cells"], "x")


def test_clean_outputs_puts_each_panel_markup_in_place_and_keeps_other_outputs():
    progress = {
        "output_type": "display_data",
        "metadata": {},
        "data": {
            "application/vnd.jupyter.widget-view+json": {"model_id": "bar"},
            "text/plain": "train: 100%",
        },
    }
    only_widget = {
        "output_type": "display_data",
        "metadata": {},
        "data": {"application/vnd.jupyter.widget-view+json": {"model_id": "x"}},
    }
    nb = _notebook(
        _code("A()", _panel_output("APanel"), progress, only_widget),
        _code("B()", _panel_output("BPanel")),
    )
    nb.metadata["widgets"] = {"state": {}}
    cleaned = build_site.clean_outputs(nb, ["<div>A</div>", "<div>B</div>"])
    first, second = (cell.outputs for cell in cleaned.cells)
    assert first[0]["data"] == {"text/html": "<div>A</div>"}
    assert first[1]["data"] == {"text/plain": "train: 100%"}  # the bar's text stays
    assert len(first) == 2  # a widget view with nothing else is dropped
    assert second[0]["data"] == {"text/html": "<div>B</div>"}
    assert "widgets" not in cleaned.metadata
    assert "widgets" in nb.metadata  # the input is not changed
    with pytest.raises(build_site.SiteError, match="more panel outputs"):
        build_site.clean_outputs(nb, ["<div>A</div>"])
    with pytest.raises(build_site.SiteError, match="left over"):
        build_site.clean_outputs(nb, ["a", "b", "c"])


# ------------------------------------------------------------------ the grid


def test_flat_index_is_the_order_of_itertools_product():
    radices = [3, 1, 4, 2]
    for position, indices in enumerate(itertools.product(*(range(r) for r in radices))):
        assert build_site.flat_index(indices, radices) == position
    with pytest.raises(ValueError, match="outside"):
        build_site.flat_index([3, 0, 0, 0], radices)
    with pytest.raises(ValueError, match="indices for"):
        build_site.flat_index([0, 0], radices)


def test_value_labels_and_positions_of_static_controls():
    dropdown = {"kind": "dropdown", "options": [["class 0", 0], ["class 1", 1]]}
    assert build_site.value_label(dropdown, 1) == "class 1"
    assert build_site.value_position(dropdown, 1) == 1
    log = {"kind": "log_slider", "base": 10, "min": -3, "max": 0}
    assert build_site.value_label(log, 0.001) == "0.001"
    assert build_site.value_position(log, 0.01) == pytest.approx(-2)
    assert build_site.value_label({"kind": "checkbox"}, True) == "✓"
    assert build_site.value_label({"kind": "slider"}, 0.50) == "0.5"
    assert build_site.value_label({"kind": "slider"}, 7) == "7"


@pytest.fixture(scope="module")
def schedule_frames():
    """SchedulePanel rendered on a small grid, as a worker process does it."""
    spec = build_site.PanelSpec(
        "07_optimizers", 0, 1, "SchedulePanel", "helpers.widgets.optimizers"
    )
    payload = dict(build_site.asdict(spec), key=spec.key)
    return build_site.render_panel(payload, max_frames=6)


def test_render_panel_gives_one_frame_per_grid_state(schedule_frames):
    result = schedule_frames
    radices = [g["n"] for g in result["grid"]]
    assert 2 <= len(result["frames"]) == int(__import__("math").prod(radices)) <= 6
    for record in result["frames"]:
        assert len(record) == 2 + len(result["grid"])  # image, readout, readings
        image = result["pool"][record[0]]
        assert result["images"][image["img"]].startswith(b"\x89PNG")
        assert isinstance(result["pool"][record[1]], str)
    for entry in result["grid"]:
        assert len(entry["labels"]) == entry["n"]
        assert 0 <= entry["default"] < entry["n"]
    # the frames differ: moving a gridded control changes what is shown
    assert len({tuple(r[:2]) for r in result["frames"]}) > 1


def test_each_frame_is_what_the_panel_shows_for_those_values(schedule_frames):
    from helpers.widgets.optimizers import SchedulePanel

    result = schedule_frames
    panel = SchedulePanel()
    grid = panel.trimmed_site_grid(6)
    names = list(grid)
    assert names == [g["name"] for g in result["grid"]]
    for indices in itertools.product(*(range(len(grid[n])) for n in names)):
        with panel.hold():
            for name, i in zip(names, indices, strict=True):
                panel.controls[name].value = grid[name][i]
        record = result["frames"][
            build_site.flat_index(indices, [len(grid[n]) for n in names])
        ]
        assert result["pool"][record[1]] == panel.readout_html()
        for offset, name in enumerate(names):
            label, _ = result["pool"][record[2 + offset]]
            assert label == build_site.value_label(
                result["controls"][name], panel.controls[name].value
            )


def test_panel_markup_starts_on_the_default_frame_and_carries_its_data(schedule_frames):
    result = schedule_frames
    urls = {digest: f"../frames/x/{digest}.png" for digest in result["images"]}
    markup, data = build_site.panel_markup(result, urls)
    assert not EXTERNAL.search(markup)
    default = build_site.flat_index(
        [g["default"] for g in result["grid"]], [g["n"] for g in result["grid"]]
    )
    first_image = data["pool"][data["frames"][default][0]]
    assert f'src="{first_image}"' in markup
    block = re.search(
        r'<script type="application/json" class="lp-data">(.*?)</script>', markup, re.S
    )
    assert json.loads(block[1]) == data
    movable = [entry for entry in result["grid"] if entry["n"] > 1]
    assert movable and len(re.findall(r"data-grid", markup)) == len(movable)
    for entry in movable:
        assert re.search(
            f'data-control="{entry["name"]}" data-leaf="\\d+" data-grid', markup
        )


def test_control_markup_disables_what_is_not_gridded():
    slider = {
        "kind": "slider",
        "description": "steps",
        "value": 50,
        "min": 1,
        "max": 300,
        "step": 1,
    }
    fixed = build_site.control_markup("steps", slider, None, -1)
    assert "disabled" in fixed and 'value="50"' in fixed and "data-grid" not in fixed
    entry = {"n": 3, "default": 1, "labels": ["1", "50", "300"]}
    moving = build_site.control_markup("steps", slider, entry, 4)
    assert "disabled" not in moving and 'max="2"' in moving and 'value="1"' in moving
    assert "<output>50</output>" in moving
    button = build_site.control_markup(
        "train", {"kind": "button", "description": "train"}, None, -1
    )
    assert "<button" in button and "disabled" in button


# ------------------------------------------------------------------- pages


def test_rewrite_links_points_notebooks_and_guide_pages_at_the_site():
    markup = (
        '<a href="11_self_attention.ipynb">a</a> <a href="../notebooks/01_neuron.ipynb#x">b</a>'
        ' <a href="glossary.md">c</a> <a href="README.md">d</a>'
        ' <a href="https://example.org/x.ipynb">e</a> <a href="#top">f</a>'
    )
    out = build_site.rewrite_links(markup)
    assert 'href="11_self_attention.html"' in out
    assert 'href="../notebooks/01_neuron.html#x"' in out
    assert 'href="glossary.html"' in out and 'href="index.html"' in out
    assert 'href="https://example.org/x.ipynb"' in out and 'href="#top"' in out


def test_guide_settings_blocks_fold_away_and_math_is_left_for_katex():
    text = '# 标题\n\n$a_b$ 和 $$x^2$$\n\n```guide-settings\n[{"id": 1}]\n```\n'
    out = build_site.render_markdown(text)
    assert '<details class="guide-settings">' in out
    assert "$a_b$" in out and "$$x^2$$" in out
    assert "guide-settings\n[" not in out


def test_search_sections_split_at_headings_and_skip_panels_and_outputs():
    markup = (
        "<main><h1 id='t'>注意力</h1><p>查询 (query) 与键 (key)</p>"
        "<div class='lp-panel'><p>frame readout</p></div>"
        "<h2 id='s2'>2. 缩放</h2><ul><li><p>除以 √d_k</p></li></ul>"
        "<div class='jp-OutputArea'><pre>tensor([1.0])</pre></div></main>"
    )
    sections = build_site.search_sections(markup, "notebooks/11.html", "自注意力")
    assert [(s["t"], s["u"]) for s in sections] == [
        ("注意力", "notebooks/11.html#t"), ("2. 缩放", "notebooks/11.html#s2"),
    ]  # fmt: skip
    assert "查询 (query)" in sections[0]["x"] and "frame" not in sections[0]["x"]
    assert sections[1]["x"] == "除以 √d_k"
    assert all(s["p"] == "自注意力" for s in sections)


# ------------------------------------------------------------------- KaTeX


def test_the_katex_lock_pins_an_exact_version_and_hashes():
    lock = json.loads(build_site.KATEX_LOCK.read_text(encoding="utf-8"))
    assert re.fullmatch(r"\d+\.\d+\.\d+", lock["version"])
    assert lock["integrity"].startswith("sha512-") and len(lock["shasum"]) == 40
    assert "dist/katex.min.js" in lock["files"] and "LICENSE" in lock["files"]


def test_a_tarball_that_is_not_the_pinned_katex_is_refused(tmp_path):
    fake = tmp_path / "katex.tgz"
    with tarfile.open(fake, "w:gz") as archive:
        data = b"console.log('not katex')"
        info = tarfile.TarInfo("package/dist/katex.min.js")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    with pytest.raises(build_site.SiteError, match="not katex@"):
        build_site.ensure_katex(fake)
    with pytest.raises(build_site.SiteError, match="not found"):
        build_site.ensure_katex(tmp_path / "missing.tgz")
    digest = hashlib.sha1(fake.read_bytes()).hexdigest()
    assert digest != json.loads(build_site.KATEX_LOCK.read_text())["shasum"]


# ------------------------------------------------------------- a small build


@pytest.fixture(scope="module")
def small_site(tmp_path_factory):
    """Notebook 07 (two panels) and every guide page, with a stand-in KaTeX."""
    katex = tmp_path_factory.mktemp("katex")
    (katex / "dist" / "contrib").mkdir(parents=True)
    (katex / "dist" / "fonts").mkdir()
    (katex / "dist" / "katex.min.js").write_text("window.katex = {};")
    (katex / "dist" / "katex.min.css").write_text(".katex { font: inherit; }")
    (katex / "dist" / "contrib" / "auto-render.min.js").write_text(
        "window.renderMathInElement = function () {};"
    )
    (katex / "LICENSE").write_text("MIT")
    out = tmp_path_factory.mktemp("site")
    report = build_site.build_site(
        out, jobs=1, max_frames=4, katex_dir=katex, only=["07"], log=lambda *_: None
    )
    return out, report


def test_small_build_writes_pages_frames_manifest_and_search_index(small_site):
    out, report = small_site
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    urls = {page["url"] for page in manifest["pages"]}
    assert {"index.html", "notebooks/07_optimizers.html", "guide/index.html",
            "guide/glossary.html", "guide/07_optimizers.html"} <= urls  # fmt: skip
    for url in urls:
        assert (out / url).is_file()
    panels = manifest["panels"]
    assert [p["class"] for p in panels] == ["OptimizerPanel", "SchedulePanel"]
    assert report.panels == 2 and report.frames == sum(len(p["frames"]) for p in panels)
    for panel in panels:
        for record in panel["frames"]:
            image = panel["pool"][record[0]]
            assert (out / "notebooks" / image).resolve().is_file()
    text = (out / "search_index.js").read_text(encoding="utf-8")
    assert text.startswith("window.COURSE_SEARCH_INDEX = ")
    index = json.loads(text.removeprefix("window.COURSE_SEARCH_INDEX = ").rstrip(";\n"))
    assert index == json.loads((out / "search_index.json").read_text(encoding="utf-8"))
    assert any(e["u"].startswith("notebooks/07_optimizers.html#") for e in index)
    assert any(e["u"].startswith("guide/glossary.html") for e in index)
    assert report.site_bytes == sum(
        p.stat().st_size for p in out.rglob("*") if p.is_file()
    )


def test_small_build_requests_nothing_from_outside(small_site):
    out, _ = small_site
    checked = 0
    for path in out.rglob("*"):
        if path.suffix not in (".html", ".css", ".js"):
            continue
        text = path.read_text(encoding="utf-8")
        found = EXTERNAL.search(text)
        assert found is None, f"{path.relative_to(out)} loads {found[0][-60:]!r}…"
        if path.suffix == ".js" and path.name != "search_index.js":
            assert SCRIPT_URL.search(text) is None, (
                f"{path.relative_to(out)} names a URL"
            )
        checked += 1
    assert checked > 20
    page = (out / "notebooks" / "07_optimizers.html").read_text(encoding="utf-8")
    assert EXTERNAL.search(
        '<script src="https://cdn.example.org/x.js">'
    )  # the check bites
    assert "https://" in page  # the notebook's own reading links stay as links


def test_every_notebook_page_links_the_guide_glossary_and_search(small_site):
    out, _ = small_site
    page = (out / "notebooks" / "07_optimizers.html").read_text(encoding="utf-8")
    assert (
        'href="../guide/index.html"' in page and 'href="../guide/glossary.html"' in page
    )
    assert 'href="../guide/07_optimizers.html"' in page  # this notebook's guide page
    assert 'id="site-search"' in page and 'src="../static/site.js"' in page
    assert page.count('class="lp-panel"') == 2
    assert "require.js" not in page and "mathjax" not in page.lower()
    guide = (out / "guide" / "07_optimizers.html").read_text(encoding="utf-8")
    assert 'href="../notebooks/07_optimizers.html"' in guide


def test_the_index_is_the_course_map(small_site):
    out, _ = small_site
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'src="static/course_map.png"' in index
    assert (out / "static" / "course_map.png").read_bytes().startswith(b"\x89PNG")
    assert 'href="notebooks/07_optimizers.html"' in index
    assert 'href="guide/07_optimizers.html"' in index  # its teacher's guide page
    assert "2 个交互面板" in index


def test_build_refuses_to_replace_a_folder_that_is_not_a_site(tmp_path):
    keep = tmp_path / "notes.txt"
    keep.write_text("mine")
    with pytest.raises(build_site.SiteError, match="refusing"):
        build_site.build_site(tmp_path, katex_dir=tmp_path, log=lambda *_: None)
    assert keep.read_text() == "mine"
    with pytest.raises(ValueError, match="max_frames"):
        build_site.build_site(tmp_path / "new", max_frames=0, katex_dir=tmp_path)
