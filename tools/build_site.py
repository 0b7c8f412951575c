"""Build the course's offline web edition: ``make site`` → ``site/``.

The site is made from the committed, executed notebooks and the teacher's guide:

- one page per notebook (prose, code and outputs), rendered by nbconvert's
  ``lab`` template through a small template of our own
  (``tools/site/templates/course_notebook``) that drops everything loaded from
  the network (require.js, MathJax, the widget manager) and links the site's
  own CSS and JavaScript instead;
- the course map as the index page, the guide pages (``guide/*.md``, rendered
  with the same markdown renderer nbconvert uses) and the glossary;
- a search box on every page: plain JavaScript over ``search_index.js`` (a JSON
  index wrapped in one assignment, so it also loads from ``file://``, where a
  browser refuses ``fetch``);
- **living panels without a kernel**: every panel output of every notebook is
  rebuilt from its constructor call, a grid of control values is enumerated, and
  every state of the grid is rendered through the panel's own ``refresh()`` (the
  path the notebook uses). The page shows the pre-rendered frames and swaps them
  as the learner moves a static slider or dropdown (``tools/site/site.js``).
  Frames are rendered in parallel worker processes, one panel per task;
- math rendered in the browser by KaTeX, vendored: ``npm pack`` at build time,
  checked against ``tools/site/katex.lock.json``, cached in ``data/cache/katex/``.

Nothing on a page is fetched from outside the site: no CDN, no web fonts other
than KaTeX's own (copied into the site); Chinese uses the reader's system font.

Usage::

    python tools/build_site.py                      # → site/
    python tools/build_site.py --out /tmp/site --jobs 2 --max-frames 48
    python tools/build_site.py --katex-from katex-0.19.1.tgz   # no npm / offline

Introduced with the classroom edition (issue 15); the notebooks do not import it.
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import copy
import hashlib
import html
import importlib
import json
import math
import multiprocessing
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

TOOLS_DIR = Path(__file__).resolve().parent
ROOT = TOOLS_DIR.parent
NOTEBOOK_DIR = ROOT / "notebooks"
GUIDE_DIR = ROOT / "guide"
ASSETS_DIR = TOOLS_DIR / "site"
TEMPLATE_DIR = ASSETS_DIR / "templates"
KATEX_LOCK = ASSETS_DIR / "katex.lock.json"
KATEX_CACHE = ROOT / "data" / "cache" / "katex"
DEFAULT_OUT = ROOT / "site"

#: The mime type a panel output may carry (import path + constructor arguments).
PANEL_MIME = "application/vnd.llm-course.panel+json"
_PANEL_TEXT = re.compile(r"^<(?P<cls>[A-Za-z_]\w*): interactive panel>$")
_NPM_TIMEOUT_S = 300

if str(TOOLS_DIR) not in sys.path:  # worker processes import this module by name
    sys.path.insert(0, str(TOOLS_DIR))


class SiteError(RuntimeError):
    """The site cannot be built; the message says why and what to do."""


# =========================================================================== KaTeX


def _read_katex_lock() -> dict:
    try:
        lock = json.loads(KATEX_LOCK.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SiteError(f"cannot read {KATEX_LOCK}: {exc}") from None
    for key in ("package", "version", "integrity", "shasum", "files", "fonts"):
        if key not in lock:
            raise SiteError(f"{KATEX_LOCK} lacks '{key}'")
    return lock


def _tarball_hashes(path: Path) -> tuple[str, str]:
    sha512, sha1 = hashlib.sha512(), hashlib.sha1()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha512.update(block)
            sha1.update(block)
    return "sha512-" + base64.b64encode(sha512.digest()).decode(
        "ascii"
    ), sha1.hexdigest()


def _npm_pack(spec: str, into: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise SiteError(
            f"KaTeX is not cached in {KATEX_CACHE} and npm is missing. Install npm "
            f"(apt-get install npm), or run `npm pack {spec}` on another machine and "
            "build with --katex-from THAT_TARBALL."
        )
    try:
        result = subprocess.run(
            [npm, "pack", spec, "--silent"], cwd=into, capture_output=True,
            text=True, timeout=_NPM_TIMEOUT_S, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise SiteError(f"`npm pack {spec}` took over {_NPM_TIMEOUT_S} s") from None
    tarballs = sorted(into.glob("*.tgz"))
    if result.returncode != 0 or len(tarballs) != 1:
        raise SiteError(
            f"`npm pack {spec}` failed (exit {result.returncode}): "
            f"{result.stderr.strip()[-800:]}\nWithout network, run it on another "
            "machine and build with --katex-from THAT_TARBALL."
        )
    return tarballs[0]


def ensure_katex(tarball: str | Path | None = None) -> Path:
    """The directory holding the verified KaTeX files (``dist/…``, ``LICENSE``).

    Uses the cache when its stamp matches the lock file; otherwise takes
    ``tarball`` (or fetches it with ``npm pack``), checks its integrity hash and
    unpacks the locked files and the woff2 fonts.
    """
    lock = _read_katex_lock()
    spec = f"{lock['package']}@{lock['version']}"
    target = KATEX_CACHE / lock["version"]
    stamp = target / ".integrity"
    if (
        tarball is None
        and stamp.is_file()
        and stamp.read_text().strip() == lock["integrity"]
    ):
        if all((target / name).is_file() for name in lock["files"]):
            return target
    with tempfile.TemporaryDirectory(prefix="katex-") as tmp:
        path = Path(tarball) if tarball is not None else _npm_pack(spec, Path(tmp))
        if not path.is_file():
            raise SiteError(f"KaTeX tarball not found: {path}")
        integrity, shasum = _tarball_hashes(path)
        if integrity != lock["integrity"] or shasum != lock["shasum"]:
            raise SiteError(
                f"{path} is not {spec} as pinned in {KATEX_LOCK.name}: integrity "
                f"{integrity[:30]}… / shasum {shasum} differ from the lock file"
            )
        font_pattern = re.compile(
            "^package/" + re.escape(lock["fonts"]).replace(r"\*", r"[\w-]+") + "$"
        )
        wanted = {f"package/{name}" for name in lock["files"]}
        staging = Path(tempfile.mkdtemp(prefix=".katex-", dir=_mkdir(KATEX_CACHE)))
        try:
            with tarfile.open(path, "r:gz") as archive:
                for member in archive.getmembers():
                    if not member.isfile():
                        continue
                    if member.name in wanted or font_pattern.match(member.name):
                        data = archive.extractfile(member).read()
                        out = staging / member.name.removeprefix("package/")
                        out.parent.mkdir(parents=True, exist_ok=True)
                        out.write_bytes(data)
                        wanted.discard(member.name)
            if wanted:
                raise SiteError(f"{path} lacks {sorted(wanted)}")
            (staging / ".integrity").write_text(lock["integrity"] + "\n")
            shutil.rmtree(target, ignore_errors=True)
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


# ================================================================ panel discovery


@dataclass
class PanelSpec:
    """One panel output of a notebook: where it is and how to rebuild it."""

    notebook: str  # file stem, e.g. "01_neuron"
    cell: int  # index of the code cell in the notebook
    index: int  # 0, 1, … within the notebook
    cls: str  # class name, e.g. "NeuronPanel"
    module: str | None  # e.g. "helpers.widgets.neuron"
    args: list = field(default_factory=list)
    kwargs: dict = field(default_factory=dict)
    stored_png: str | None = None  # base64 PNG saved in the notebook
    static_reason: str | None = None  # why the panel cannot be rebuilt here
    controls: dict | None = None  # the controls as ``Panel.spec()`` describes them

    @property
    def key(self) -> str:
        return f"{self.notebook}-p{self.index}"


def _imported_panel_modules(cells: list[dict]) -> dict[str, str]:
    """Class name → module for ``from helpers.widgets.X import A, B`` lines."""
    import ast

    found: dict[str, str] = {}
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        try:
            tree = ast.parse(_source(cell))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "helpers.widgets"
            ):
                for alias in node.names:
                    found[alias.asname or alias.name] = node.module
    return found


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _constructor_call(source: str, cls: str) -> tuple[list, dict] | str:
    """The literal arguments of the last expression ``cls(...)`` in ``source``,
    or a string saying why they cannot be read."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return f"单元格无法解析：{exc}"
    calls = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Expr | ast.Assign) and isinstance(node.value, ast.Call)
    ]
    for call in reversed(calls):
        func = call.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name != cls:
            continue
        try:
            args = [ast.literal_eval(arg) for arg in call.args]
            kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}
        except ValueError:
            return f"{cls}(…) 的参数是前面单元格算出的对象"
        if any(key is None for key in kwargs):
            return f"{cls}(**…) 展开了前面单元格算出的字典"
        return args, kwargs
    return f"单元格里找不到 {cls}(…) 调用"


def _find_module(cls: str) -> str | None:
    from helpers.widgets.registry import panel_modules

    for name in panel_modules():
        module = importlib.import_module(name)
        if isinstance(getattr(module, cls, None), type):
            return name
    return None


def find_panels(nb: dict, stem: str) -> list[PanelSpec]:
    """Every panel output in notebook ``nb`` (a parsed .ipynb dict), in order."""
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise TypeError("nb must be a parsed notebook (a dict with 'cells')")
    imported = _imported_panel_modules(nb["cells"])
    specs: list[PanelSpec] = []
    for cell_index, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            if not is_panel_output(output):
                continue
            spec = _panel_from_output(output, cell, cell_index, stem, imported)
            if spec is not None:
                spec.index = len(specs)
                specs.append(spec)
    return specs


def _panel_from_output(output, cell, cell_index, stem, imported) -> PanelSpec | None:
    data = output.get("data", {})
    png = data.get("image/png")
    png = "".join(png) if isinstance(png, list) else png
    described = data.get(PANEL_MIME)
    if isinstance(described, dict) and described.get("class"):
        cls = str(described["class"])
        module = described.get("module") or imported.get(cls) or _find_module(cls)
        spec = PanelSpec(stem, cell_index, 0, cls, module, stored_png=png)
        spec.controls = described.get("controls") or None
        if not described.get("rebuildable", True):
            missing = ", ".join(described.get("not_json", [])) or "?"
            spec.static_reason = f"构造参数 {missing} 不是 JSON 值"
        else:
            spec.kwargs = dict(described.get("kwargs") or {})
        return spec
    text = data.get("text/plain", "")
    text = ("".join(text) if isinstance(text, list) else text).strip()
    match = _PANEL_TEXT.match(text)
    if match is None:
        return None
    cls = match["cls"]
    module = imported.get(cls) or _find_module(cls)
    spec = PanelSpec(stem, cell_index, 0, cls, module, stored_png=png)
    call = _constructor_call(_source(cell), cls)
    if isinstance(call, str):
        spec.static_reason = call
    else:
        spec.args, spec.kwargs = call
    if module is None:
        spec.static_reason = f"helpers.widgets 里没有 {cls}"
    return spec


# ================================================================ frame rendering
#
# The panels' side (helpers/widgets/__init__.py) does the work: ``Panel.spec()``
# describes the controls, ``Panel.trimmed_site_grid()`` chooses the states (the
# panel's author overrides ``site_grid()``), and ``Panel.render_states()`` draws
# each state through ``refresh()``, the path the notebook uses. This module only
# stores the frames and writes the page that swaps them.


def flat_index(indices: tuple[int, ...] | list[int], radices: list[int]) -> int:
    """Row-major position of ``indices`` in a grid of ``radices``: the order of
    ``itertools.product`` (``render_states``) and what site.js computes."""
    if len(indices) != len(radices):
        raise ValueError(f"{len(indices)} indices for {len(radices)} controls")
    flat = 0
    for i, r in zip(indices, radices, strict=True):
        if not 0 <= i < r:
            raise ValueError(f"index {i} outside 0..{r - 1}")
        flat = flat * r + i
    return flat


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    return a == b


def value_label(control: dict, value) -> str:
    """How a static control shows ``value`` (``control`` as in ``Panel.spec()``)."""
    kind = control.get("kind")
    if kind in ("dropdown", "selection_slider"):
        for label, option in control.get("options", []):
            if _same(option, value):
                return str(label)
        return str(value)
    if kind == "checkbox":
        return "✓" if value else "✗"
    if kind == "log_slider" or (kind == "slider" and isinstance(value, float)):
        return (
            f"{value:.3g}"
            if kind == "log_slider"
            else f"{value:.2f}".rstrip("0").rstrip(".")
        )
    return str(value)


def value_position(control: dict, value):
    """Where a static control's input sits for ``value``: the option index of a
    dropdown or selection slider, the exponent of a log slider, the value itself
    otherwise."""
    kind = control.get("kind")
    if kind in ("dropdown", "selection_slider"):
        for i, (_, option) in enumerate(control.get("options", [])):
            if _same(option, value):
                return i
        return 0
    if kind == "log_slider":
        return math.log(value, control["base"]) if value > 0 else control["min"]
    if kind == "checkbox":
        return bool(value)
    return value


def _rebuild(spec: dict):
    """The panel of ``spec`` (a PanelSpec as a dict) through
    ``helpers.widgets.rebuild_panel``, which accepts only panel classes of
    ``helpers.widgets``; positional arguments are bound to their names first."""
    import inspect

    from helpers.widgets import rebuild_panel

    module, kwargs = str(spec["module"]), dict(spec["kwargs"])
    if not module.startswith("helpers.widgets."):
        raise SiteError(f"not a panel module: {module!r}")
    if spec["args"]:
        cls = getattr(importlib.import_module(module), spec["cls"])
        kwargs = dict(
            inspect.signature(cls).bind_partial(*spec["args"], **kwargs).arguments
        )
    return rebuild_panel({"module": module, "class": spec["cls"], "kwargs": kwargs})


def render_panel(spec: dict, max_frames: int | None = None) -> dict:
    """Rebuild the panel of ``spec`` and render every state of its site grid.

    Runs in a worker process. Returns the panel's control description, the grid
    (gridded controls in order, with each value's label), the frames (row-major
    over the grid; per frame: indices into ``pool`` for the image, the readout
    and each gridded control's reading) and the distinct PNG images.
    """
    os.environ.setdefault("MPLBACKEND", "Agg")
    start = time.perf_counter()
    panel = _rebuild(spec)
    described = panel.spec()
    controls = described["controls"]
    grid = (
        panel.trimmed_site_grid(max_frames)
        if max_frames is not None
        else panel.trimmed_site_grid()
    )
    names = list(grid)
    pool: list = []
    pool_index: dict[str, int] = {}
    images: dict[str, bytes] = {}

    def intern(value) -> int:
        if isinstance(value, bytes):
            digest = hashlib.sha256(value).hexdigest()[:16]
            images.setdefault(digest, value)
            key, stored = "img:" + digest, {"img": digest}
        else:
            key, stored = "val:" + json.dumps(value, ensure_ascii=False), value
        if key not in pool_index:
            pool_index[key] = len(pool)
            pool.append(stored)
        return pool_index[key]

    frames: list[list[int]] = []
    for values, png, readout in panel.render_states(
        grid, max_states=max(1, math.prod(len(v) for v in grid.values()))
    ):
        record = [intern(png), intern(readout)]
        for name in names:
            value = values[name]
            record.append(
                intern(
                    [
                        value_label(controls[name], value),
                        value_position(controls[name], value),
                    ]
                )
            )
        frames.append(record)
    if len(frames) != math.prod(len(v) for v in grid.values()):
        raise SiteError(f"{spec['cls']}: {len(frames)} frames for its grid {grid}")
    panel.fig.clear()
    return {
        "key": spec["key"],
        "cls": spec["cls"],
        "authored_grid": type(panel).site_grid is not _base_site_grid(),
        "controls": controls,
        "grid": [
            {
                "name": n,
                "n": len(grid[n]),
                "kind": controls[n]["kind"],
                "labels": [value_label(controls[n], v) for v in grid[n]],
                "default": next(
                    (
                        i
                        for i, v in enumerate(grid[n])
                        if _same(v, controls[n].get("value"))
                    ),
                    0,
                ),
            }
            for n in names
        ],
        "frames": frames,
        "pool": pool,
        "images": images,
        "seconds": time.perf_counter() - start,
    }


def _base_site_grid():
    from helpers.widgets import Panel

    return Panel.site_grid


def _worker_init() -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")


def render_all(
    specs: list[PanelSpec], *, jobs: int, max_frames: int | None, log=print
) -> dict[str, dict]:
    """Render every rebuildable panel, ``jobs`` worker processes at a time."""
    todo = [s for s in specs if s.static_reason is None]
    results: dict[str, dict] = {}
    if not todo:
        return results
    payloads = [dict(asdict(s), key=s.key) for s in todo]
    if jobs <= 1:
        _worker_init()
        for payload in payloads:
            try:
                results[payload["key"]] = render_panel(payload, max_frames)
            except Exception as exc:
                raise _panel_failed(payload, exc) from exc
            _log_panel(results[payload["key"]], log)
        return results
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_worker_init
    ) as pool:
        futures = {
            pool.submit(render_panel, payload, max_frames): payload
            for payload in payloads
        }
        for future in concurrent.futures.as_completed(futures):
            try:
                result = future.result()
            except Exception as exc:
                for other in futures:
                    other.cancel()
                raise _panel_failed(futures[future], exc) from exc
            results[result["key"]] = result
            _log_panel(result, log)
    return results


def _panel_failed(payload: dict, exc: Exception) -> SiteError:
    return SiteError(
        f"panel {payload['cls']} of notebooks/{payload['notebook']}.ipynb (cell "
        f"{payload['cell']}) could not be rendered: {type(exc).__name__}: {exc}"
    )


def _log_panel(result: dict, log) -> None:
    log(
        f"  {result['key']:28s} {result['cls']:28s} {len(result['frames']):4d} frames "
        f"({len(result['images'])} distinct images) in {result['seconds']:.1f} s"
        + ("" if result["authored_grid"] else " [default grid]")
    )


# =================================================================== panel markup


def _png_size(data: bytes) -> tuple[int, int]:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SiteError("a panel image is not a PNG")
    return struct.unpack(">II", data[16:24])


def control_markup(name: str, control: dict, grid_entry: dict | None, leaf: int) -> str:
    """One static control. A gridded one (``grid_entry``) moves through the grid's
    values; the others show their start value, disabled."""
    kind = control.get("kind")
    label = html.escape(str(control.get("description") or name))
    attrs = f'data-control="{html.escape(name)}"'
    if grid_entry is not None and leaf >= 0:
        attrs += f' data-leaf="{leaf}"'  # its reading follows the frame
    if grid_entry is not None and grid_entry["n"] < 2:
        grid_entry = None  # one value only: shown like a fixed control
    if grid_entry is not None:
        attrs += " data-grid"
        disabled = ""
    else:
        disabled = " disabled"
    value = control.get("value")
    if kind in ("slider", "log_slider", "selection_slider"):
        if grid_entry is not None:
            n, default = grid_entry["n"], grid_entry["default"]
            rng = f'min="0" max="{n - 1}" step="1" value="{default}"'
            shown = grid_entry["labels"][default]
        elif kind == "selection_slider":
            n = len(control.get("options", []))
            rng = f'min="0" max="{max(n - 1, 0)}" step="1" value="{value_position(control, value)}"'
            shown = value_label(control, value)
        else:
            low, high = control["min"], control["max"]
            rng = (
                f'min="{low}" max="{high}" step="{control.get("step") or 1}" '
                f'value="{value_position(control, value)}"'
            )
            shown = value_label(control, value)
        return (
            f'<label class="lp-control lp-range"><span class="lp-label">{label}</span>'
            f'<input type="range" {rng} {attrs}{disabled} aria-label="{label}">'
            f"<output>{html.escape(shown)}</output></label>"
        )
    if kind == "dropdown":
        if grid_entry is not None:
            options, chosen = grid_entry["labels"], grid_entry["default"]
        else:
            options = [str(o[0]) for o in control.get("options", [])]
            chosen = value_position(control, value)
        items = "".join(
            f'<option value="{i}"{" selected" if i == chosen else ""}>{html.escape(o)}</option>'
            for i, o in enumerate(options)
        )
        return (
            f'<label class="lp-control lp-select"><span class="lp-label">{label}</span>'
            f"<select {attrs}{disabled}>{items}</select></label>"
        )
    if kind == "checkbox":
        checked = (
            grid_entry["labels"][grid_entry["default"]] == "✓"
            if grid_entry is not None
            else bool(value)
        )
        return (
            f'<label class="lp-control lp-check"><input type="checkbox" {attrs}'
            f"{' checked' if checked else ''}{disabled}><span>{label}</span></label>"
        )
    if kind == "button":
        return (
            f'<button type="button" class="lp-control lp-button" disabled {attrs} '
            f'title="在 JupyterLab 里运行笔记本时可用">{label}</button>'
        )
    if kind == "color":
        return (
            f'<label class="lp-control lp-color"><span class="lp-label">{label}</span>'
            f'<input type="color" value="{html.escape(str(value))}" disabled {attrs}></label>'
        )
    text = html.escape(str(value if value is not None else ""))
    if "\n" in text or len(text) > 40:
        box = f'<textarea rows="2" readonly {attrs}>{text}</textarea>'
    else:
        box = f'<input type="text" readonly value="{text}" {attrs}>'
    return f'<label class="lp-control lp-text"><span class="lp-label">{label}</span>{box}</label>'


_NOTE_LIVE = (
    "离线版面板：{n} 个预先渲染的画面，拖动滑块或切换选项即可查看；"
    "在 JupyterLab 中运行笔记本可以设置任意值。"
)
_NOTE_STATIC = (
    "这个面板 ({cls}) 用到笔记本前面单元格里算出的对象（{why}），"
    "离线版只显示保存下来的画面；在 JupyterLab 中运行笔记本即可拖动。"
)


def panel_markup(result: dict, image_urls: dict[str, str]) -> tuple[str, dict]:
    """The HTML of one living panel and the JSON its script reads."""
    radices = [g["n"] for g in result["grid"]]
    first = flat_index([g["default"] for g in result["grid"]], radices)
    record = result["frames"][first]
    pool = [image_urls[v["img"]] if isinstance(v, dict) else v for v in result["pool"]]
    grid_entries = {g["name"]: g for g in result["grid"]}
    leaf_of = {g["name"]: 2 + i for i, g in enumerate(result["grid"])}
    controls = "".join(
        control_markup(name, control, grid_entries.get(name), leaf_of.get(name, -1))
        for name, control in result["controls"].items()
    )
    digest = result["pool"][record[0]]["img"]
    width, height = _png_size(result["images"][digest])
    data = {
        "key": result["key"],
        "grid": [
            {k: g[k] for k in ("name", "n", "kind", "labels")} for g in result["grid"]
        ],
        "leaves": ["img", "html"] + ["control"] * len(result["grid"]),
        "shown": [g["name"] for g in result["grid"]],
        "frames": result["frames"],
        "pool": pool,
    }
    script = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace(
        "</", "<\\/"
    )
    note = _NOTE_LIVE.format(n=len(result["frames"]))
    markup = (
        f'<div class="lp-panel" id="panel-{html.escape(result["key"])}" '
        f'data-panel="{html.escape(result["cls"])}">'
        f'<div class="lp-controls">{controls}</div>'
        f'<img class="lp-img" data-leaf="0" src="{html.escape(pool[record[0]])}" '
        f'width="{width}" height="{height}" alt="{html.escape(result["cls"])}">'
        f'<div class="lp-html" data-leaf="1">{pool[record[1]]}</div>'
        f'<p class="lp-note">{note}</p>'
        f'<script type="application/json" class="lp-data">{script}</script></div>'
    )
    return markup, data


def static_panel_markup(spec: PanelSpec) -> str:
    """A panel that cannot be rebuilt without the notebook's kernel: its saved
    image, its controls (disabled) when the output describes them, and a note."""
    controls = "".join(
        control_markup(name, control, None, -1)
        for name, control in (spec.controls or {}).items()
    )
    image = (
        f'<img class="lp-img" src="data:image/png;base64,{spec.stored_png}" '
        f'alt="{html.escape(spec.cls)}">'
        if spec.stored_png
        else ""
    )
    note = _NOTE_STATIC.format(
        cls=html.escape(spec.cls), why=html.escape(spec.static_reason or "")
    )
    return (
        f'<div class="lp-panel lp-static" id="panel-{spec.key}" data-panel="{html.escape(spec.cls)}">'
        f'<div class="lp-controls">{controls}</div>{image}'
        f'<p class="lp-note">{note}</p></div>'
    )


# ================================================================== page assembly


@dataclass
class Page:
    """One page of the site."""

    url: str  # relative to the site root, e.g. "notebooks/01_neuron.html"
    title: str
    kind: str  # "index" | "notebook" | "guide"
    html: str = ""


def _root_prefix(url: str) -> str:
    return "../" * url.count("/")


def header_markup(url: str, extra_links: list[tuple[str, str]] = ()) -> str:
    root = _root_prefix(url)
    links = [
        (f"{root}index.html", "课程地图"),
        (f"{root}guide/index.html", "教师指南"),
        (f"{root}guide/glossary.html", "术语表"),
        *extra_links,
    ]
    nav = "".join(f'<a href="{href}">{html.escape(text)}</a>' for href, text in links)
    return (
        '<header class="site-header"><nav class="site-nav">'
        f"{nav}</nav>"
        '<div class="site-search" role="search">'
        '<input type="search" id="site-search" placeholder="搜索课程…" '
        'aria-label="搜索课程" autocomplete="off">'
        '<ol id="site-search-results" hidden></ol></div></header>'
    )


def head_links(url: str) -> str:
    root = _root_prefix(url)
    return (
        '<link rel="icon" href="data:,">'  # no request for /favicon.ico
        f'<link rel="stylesheet" href="{root}static/katex/katex.min.css">'
        f'<link rel="stylesheet" href="{root}static/site.css">'
    )


def footer_scripts(url: str) -> str:
    root = _root_prefix(url)
    return (
        f'<script src="{root}static/katex/katex.min.js" defer></script>'
        f'<script src="{root}static/katex/contrib/auto-render.min.js" defer></script>'
        f'<script src="{root}static/site.js" defer></script>'
    )


_LINK = re.compile(
    r'(href=")(?![a-z][a-z0-9+.-]*:|#|/)([^"#?]+?)\.(ipynb|md)([#?][^"]*)?"'
)


def rewrite_links(markup: str) -> str:
    """Relative links to notebooks and guide pages → the site's HTML pages."""

    def swap(match: re.Match) -> str:
        path = match[2]
        if match[3] == "md" and path.rsplit("/", 1)[-1] == "README":
            path = path[: -len("README")] + "index"
        return f'{match[1]}{path}.html{match[4] or ""}"'

    return _LINK.sub(swap, markup)


def _nb_exporter():
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.HTMLExporter.extra_template_basedirs = [str(TEMPLATE_DIR)]
    config.HTMLExporter.template_name = "course_notebook"
    config.HTMLExporter.exclude_input_prompt = True
    config.HTMLExporter.exclude_output_prompt = True
    config.HTMLExporter.theme = "light"
    config.HTMLExporter.language_code = "zh"
    exporter = HTMLExporter(config=config)
    exporter.log.addFilter(_quiet_alt_text)
    return exporter


def _quiet_alt_text(record) -> bool:
    """Drop nbconvert's "Alternative text is missing" warning: the notebooks'
    plots are described by the prose around them."""
    return "Alternative text is missing" not in record.getMessage()


def is_panel_output(output: dict) -> bool:
    """True for a notebook output that shows a panel (``find_panels`` reads these)."""
    data = output.get("data") or {}
    if isinstance(data.get(PANEL_MIME), dict):
        return True
    text = data.get("text/plain", "")
    text = ("".join(text) if isinstance(text, list) else text).strip()
    return _PANEL_TEXT.match(text) is not None


def clean_outputs(nb: dict, markups: list[str]) -> dict:
    """A copy of ``nb`` whose panel outputs are replaced, in order, by ``markups``
    (one per panel output) and whose widget views (e.g. progress bars) keep only
    their text."""
    nb = copy.deepcopy(nb)
    nb.get("metadata", {}).pop("widgets", None)
    queue = list(markups)
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            if is_panel_output(output):
                if not queue:
                    raise SiteError("more panel outputs than panel markups")
                outputs.append(
                    {
                        "output_type": "display_data",
                        "data": {"text/html": queue.pop(0)},
                        "metadata": {},
                    }
                )
                continue
            data = output.get("data")
            if data:
                data.pop("application/vnd.jupyter.widget-view+json", None)
                if not data:
                    continue
            outputs.append(output)
        cell["outputs"] = outputs
    if queue:
        raise SiteError(f"{len(queue)} panel markups left over")
    return nb


def render_notebook_page(
    nb: dict, stem: str, title: str, markups: list[str],
    neighbours: tuple[str | None, str | None], has_guide: bool,
) -> str:  # fmt: skip
    """The HTML page of one notebook (``nb`` as read by ``nbformat.read``)."""
    cleaned = clean_outputs(nb, markups)
    url = f"notebooks/{stem}.html"
    extra = []
    if has_guide:
        extra.append((f"../guide/{stem}.html", "本节教师指南"))
    prev_stem, next_stem = neighbours
    pager = '<nav class="site-pager">'
    if prev_stem:
        pager += (
            f'<a rel="prev" href="{prev_stem}.html">← {html.escape(prev_stem[:2])}</a>'
        )
    if next_stem:
        pager += (
            f'<a rel="next" href="{next_stem}.html">{html.escape(next_stem[:2])} →</a>'
        )
    pager += "</nav>"
    resources = {
        "metadata": {"name": title},
        "site": {
            "head": head_links(url),
            "header": header_markup(url, extra),
            "pager": pager,
            "scripts": footer_scripts(url),
            "title": title,
        },
    }
    body, _ = _nb_exporter().from_notebook_node(cleaned, resources=resources)
    return rewrite_links(body)


GUIDE_SETTINGS = re.compile(r"^```guide-settings\n(.*?)^```\s*$", re.M | re.S)


def render_markdown(text: str) -> str:
    """Markdown → HTML with the renderer nbconvert uses for notebooks."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    def settings(match: re.Match) -> str:
        return (
            '<details class="guide-settings"><summary>面板设置（机器检查：'
            "tests/test_guide.py）</summary>\n\n```json\n"
            f"{match[1]}```\n\n</details>\n"
        )

    return markdown2html_mistune(GUIDE_SETTINGS.sub(settings, text))


def page_shell(url: str, title: str, body: str, kind: str) -> str:
    """A whole HTML page around ``body`` (guide pages and the index)."""
    from jinja2 import Environment, FileSystemLoader

    # no autoescape: every value passed is HTML made here (the title is escaped)
    env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=False)
    return env.get_template("page.html.j2").render(
        title=html.escape(title),
        kind=kind,
        head=head_links(url),
        header=header_markup(url),
        body=body,
        scripts=footer_scripts(url),
    )


def _first_heading(text: str, fallback: str) -> str:
    match = re.search(r"^#\s+(.+)$", text, re.M)
    return match[1].strip() if match else fallback


def _goals(nb: dict) -> str:
    """The notebook's goals list (本节目标), rendered, for the index."""
    for cell in nb["cells"][:3]:
        if cell.get("cell_type") != "markdown":
            continue
        text = _source(cell)
        match = re.search(r"\*\*本节目标\*\*\s*\n+((?:\s*\d+\..*\n?)+)", text)
        if match:
            return render_markdown(match[1])
    return ""


def course_map_png() -> bytes:
    """The course map figure of 00_course_map (the path of text through an LLM,
    each stage with the notebooks that teach it), drawn by the course's code."""
    from helpers.plotting import figure_to_png
    from helpers.plotting.course_map import plot_pipeline

    fig, _ = plot_pipeline()
    return figure_to_png(fig)


def index_markup(
    notebooks: list[tuple[str, str, dict, int]], has_guide: set[str]
) -> str:
    """The course map: the pipeline figure, then every notebook with its goals,
    its guide page and its number of panels."""
    rows = []
    for stem, title, nb, n_panels in notebooks:
        guide = (
            f' · <a href="guide/{stem}.html">教师指南</a>' if stem in has_guide else ""
        )
        panels = f" · {n_panels} 个交互面板" if n_panels else ""
        rows.append(
            f'<section class="map-entry" id="nb-{stem[:2]}">'
            f'<h2><a href="notebooks/{stem}.html">{html.escape(stem[:2])} · '
            f"{html.escape(title)}</a></h2>"
            f'<p class="map-meta"><a href="notebooks/{stem}.html">打开笔记本</a>'
            f"{guide}{panels}</p>"
            f'<details class="map-goals"><summary>本节目标</summary>{_goals(nb)}</details>'
            "</section>"
        )
    return (
        "<h1>大语言模型是怎样工作的 · 交互式课程（离线网页版）</h1>"
        '<p class="lead">从一个人工神经元出发，经过激活函数、反向传播、优化器和归一化，'
        "一直走到自注意力，并训练一个小型解码器语言模型。这是课程的离线网页版："
        "每个笔记本的讲解、代码和输出都在这里，交互面板可以直接拖动（画面是预先渲染好的）。"
        "要运行代码、做练习，请在 JupyterLab 中打开笔记本（见 README）。</p>"
        '<figure class="map-figure"><img src="static/course_map.png" '
        'alt="一段文字在 LLM 里的旅程：分词、编号、词嵌入、解码器块、输出头、softmax，'
        '每一站下面写着讲它的笔记本"><figcaption>一段文字在大语言模型里的旅程，'
        "每一站下面是讲它的笔记本编号</figcaption></figure>"
        '<p class="lead">老师请看<a href="guide/index.html">教师指南</a>（每节的投影时刻、'
        '提问与答案、两套课程安排）和<a href="guide/glossary.html">术语表</a>。</p>'
        + "".join(rows)
    )


# ==================================================================== search index

_SKIP_SEARCH = ("lp-panel", "jp-OutputArea", "site-header", "site-pager", "anchor-link")


def search_sections(markup: str, url: str, page_title: str) -> list[dict]:
    """Split a page into sections at its h1–h3 headings, as search entries."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    main = soup.find("main") or soup.body or soup
    for tag in main.find_all(["script", "style"]):
        tag.decompose()
    for cls in _SKIP_SEARCH:
        for tag in main.find_all(class_=cls):
            tag.decompose()
    sections: list[dict] = []
    current = {"t": page_title, "u": url, "p": page_title, "x": []}
    for element in main.find_all(
        ["h1", "h2", "h3", "p", "li", "td", "th", "pre", "summary"]
    ):
        if element.name in ("h1", "h2", "h3"):
            if current["x"] or current["t"] != page_title:
                sections.append(current)
            anchor = element.get("id")
            current = {
                "t": element.get_text(" ", strip=True),
                "u": f"{url}#{anchor}" if anchor else url,
                "p": page_title,
                "x": [],
            }
            continue
        if element.find_parent(["li", "td", "th"]) is not None and element.name == "p":
            continue
        current["x"].append(element.get_text(" ", strip=True))
    sections.append(current)
    out = []
    for section in sections:
        text = re.sub(r"\s+", " ", " ".join(section["x"])).strip()
        out.append(
            {"t": section["t"], "u": section["u"], "p": section["p"], "x": text[:2000]}
        )
    return [s for s in out if s["t"] or s["x"]]


# ========================================================================== build


@dataclass
class BuildReport:
    pages: int
    panels: int
    static_panels: int
    frames: int
    images: int
    image_bytes: int
    site_bytes: int
    seconds: float

    def summary(self) -> str:
        return (
            f"site: {self.pages} pages, {self.panels} living panels "
            f"({self.static_panels} static), {self.frames} frames "
            f"({self.images} distinct images, {self.image_bytes / 1e6:.1f} MB), "
            f"{self.site_bytes / 1e6:.1f} MB in all, built in {self.seconds:.0f} s"
        )


def _notebooks(notebook_dir: Path, only: list[str] | None) -> list[Path]:
    paths = sorted(notebook_dir.glob("[0-9][0-9]_*.ipynb"))
    if only:
        paths = [p for p in paths if any(p.stem.startswith(o) for o in only)]
    if not paths:
        raise SiteError(f"no notebooks found in {notebook_dir}")
    return paths


def _notebook_css() -> str:
    """The lab template's CSS (JupyterLab's light theme), comments stripped."""
    for base in _nb_exporter().template_paths:
        static = Path(base) / "static"
        if Path(base).name == "lab" and (static / "index.css").is_file():
            css = "\n".join(
                (static / name).read_text(encoding="utf-8")
                for name in ("index.css", "theme-light.css")
            )
            return re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    raise SiteError(
        "nbconvert's lab template CSS was not found (is nbconvert installed?)"
    )


def _copy_static(out: Path, katex_dir: Path) -> None:
    static = _mkdir(out / "static")
    for name in ("site.css", "site.js"):
        shutil.copyfile(ASSETS_DIR / name, static / name)
    (static / "notebook.css").write_text(_notebook_css(), encoding="utf-8")
    (static / "course_map.png").write_bytes(course_map_png())
    shutil.copytree(katex_dir / "dist", static / "katex", dirs_exist_ok=True)
    shutil.copyfile(katex_dir / "LICENSE", static / "katex" / "LICENSE")


def _title(nb: dict, stem: str) -> str:
    for cell in nb["cells"]:
        if cell.get("cell_type") == "markdown":
            return _first_heading(_source(cell), stem)
    return stem


def build_site(
    out: Path = DEFAULT_OUT,
    *,
    notebook_dir: Path = NOTEBOOK_DIR,
    guide_dir: Path = GUIDE_DIR,
    jobs: int | None = None,
    max_frames: int | None = None,
    katex_from: Path | None = None,
    katex_dir: Path | None = None,
    only: list[str] | None = None,
    log=print,
) -> BuildReport:
    """Build the whole site into ``out`` (replaced). Returns what was built.

    ``katex_from``: a KaTeX tarball to check and use instead of ``npm pack``;
    ``katex_dir``: an already unpacked KaTeX (``dist/``, ``LICENSE``) to copy as
    it is (tests); ``only``: notebook number prefixes to build; ``max_frames``:
    a cap on each panel's frames below the panels' own.
    """
    if max_frames is not None and (not isinstance(max_frames, int) or max_frames < 1):
        raise ValueError(f"max_frames must be a positive integer, got {max_frames!r}")
    start = time.perf_counter()
    jobs = jobs if jobs is not None else max(1, min(os.cpu_count() or 1, 4))
    katex_dir = Path(katex_dir) if katex_dir is not None else ensure_katex(katex_from)
    out = Path(out).resolve()
    if out.exists():
        if any(out.iterdir()) and not (out / "manifest.json").is_file():
            raise SiteError(
                f"{out} is not empty and holds no site (no manifest.json): refusing "
                "to replace it; choose another --out"
            )
        shutil.rmtree(out)
    _mkdir(out)
    _copy_static(out, katex_dir)

    paths = _notebooks(Path(notebook_dir), only)
    notebooks = []
    all_specs: list[PanelSpec] = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        specs = find_panels(nb, path.stem)
        code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
        if code and all(c.get("execution_count") is None for c in code):
            log(
                f"warning: notebooks/{path.name} is not executed: its page has no "
                "outputs and no panels (run `make notebooks NB=notebooks/"
                f"{path.name}` first)"
            )
        notebooks.append((path.stem, nb, specs))
        all_specs.extend(specs)
    log(f"rendering {len(all_specs)} panels with {jobs} worker(s)…")
    results = render_all(all_specs, jobs=jobs, max_frames=max_frames, log=log)

    guide_dir = Path(guide_dir)
    guide_pages = sorted(guide_dir.glob("*.md")) if guide_dir.is_dir() else []
    has_guide = {p.stem for p in guide_pages}
    pages: list[Page] = []
    manifest_panels = []
    image_bytes = n_frames = n_images = 0
    stems = [stem for stem, _, _ in notebooks]
    index_rows = []
    for position, (stem, nb, specs) in enumerate(notebooks):
        frame_dir = _mkdir(out / "frames" / stem)
        markups = []
        page = Page(f"notebooks/{stem}.html", _title(nb, stem), "notebook")
        for spec in specs:
            result = results.get(spec.key)
            if result is None:
                markups.append(static_panel_markup(spec))
                manifest_panels.append(
                    {"page": page.url, "key": spec.key, "class": spec.cls,
                     "static": spec.static_reason}
                )  # fmt: skip
                continue
            urls = {}
            for digest, data in result["images"].items():
                name = f"{spec.key}-{digest}.png"
                (frame_dir / name).write_bytes(data)
                urls[digest] = f"../frames/{stem}/{name}"
                image_bytes += len(data)
            n_images += len(result["images"])
            n_frames += len(result["frames"])
            markup, data = panel_markup(result, urls)
            markups.append(markup)
            entry = {
                "page": page.url, "key": spec.key, "class": spec.cls,
                "authored_grid": result["authored_grid"],
                "grid": result["grid"], "leaves": data["leaves"],
                "frames": data["frames"], "pool": data["pool"],
                "seconds": round(result["seconds"], 2),
            }  # fmt: skip
            manifest_panels.append(entry)
        neighbours = (
            stems[position - 1] if position > 0 else None,
            stems[position + 1] if position + 1 < len(stems) else None,
        )
        page.html = render_notebook_page(
            nb, stem, page.title, markups, neighbours, stem in has_guide
        )
        pages.append(page)
        index_rows.append((stem, page.title.split("·", 1)[-1].strip(), nb, len(specs)))

    for path in guide_pages:
        text = path.read_text(encoding="utf-8")
        name = "index" if path.stem == "README" else path.stem
        url = f"guide/{name}.html"
        title = _first_heading(text, path.stem)
        body = rewrite_links(render_markdown(text))
        pages.append(Page(url, title, "guide", page_shell(url, title, body, "guide")))

    index_url = "index.html"
    pages.insert(
        0,
        Page(
            index_url, "课程地图", "index",
            page_shell(index_url, "课程地图", index_markup(index_rows, has_guide), "index"),
        ),
    )  # fmt: skip

    search = []
    for page in pages:
        (out / page.url).parent.mkdir(parents=True, exist_ok=True)
        (out / page.url).write_text(page.html, encoding="utf-8")
        search.extend(search_sections(page.html, page.url, page.title))
    index_json = json.dumps(search, ensure_ascii=False, separators=(",", ":"))
    (out / "search_index.json").write_text(index_json, encoding="utf-8")
    (out / "search_index.js").write_text(
        f"window.COURSE_SEARCH_INDEX = {index_json};\n", encoding="utf-8"
    )
    seconds = time.perf_counter() - start
    report = BuildReport(
        pages=len(pages),
        panels=sum(1 for p in manifest_panels if "frames" in p),
        static_panels=sum(1 for p in manifest_panels if "static" in p),
        frames=n_frames,
        images=n_images,
        image_bytes=image_bytes,
        site_bytes=0,
        seconds=seconds,
    )
    report.site_bytes = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    manifest = {
        "pages": [{"url": p.url, "title": p.title, "kind": p.kind} for p in pages],
        "panels": manifest_panels,
        "katex": _read_katex_lock()["version"],
        "report": asdict(report),  # site_bytes here: every file but this one
    }
    manifest_path = out / "manifest.json"
    manifest_path.write_text(
        json.dumps(manifest, ensure_ascii=False, separators=(",", ":")),
        encoding="utf-8",
    )
    report.site_bytes += manifest_path.stat().st_size
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes")
    parser.add_argument(
        "--max-frames", type=int, default=None,
        help="cap on the frames of each panel (default: the panels' own cap)",
    )  # fmt: skip
    parser.add_argument(
        "--katex-from", type=Path, default=None,
        help="a KaTeX tarball made with `npm pack` (instead of fetching it)",
    )  # fmt: skip
    parser.add_argument(
        "--only", nargs="*", default=None, help="notebook number prefixes, e.g. 01 03"
    )
    args = parser.parse_args(argv)
    try:
        report = build_site(
            args.out, jobs=args.jobs, max_frames=args.max_frames,
            katex_from=args.katex_from, only=args.only,
        )  # fmt: skip
    except SiteError as exc:
        print(f"build_site: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    print(f"open {args.out / 'index.html'} (or: python -m http.server -d {args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
