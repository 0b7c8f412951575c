"""The offline web edition (``make site``) in headless Chromium, on a phone.

The site is built once per session into a temporary folder (as ``make site``
does, every panel's frames included). Every page is opened from ``file://`` in a
390×844 viewport: it must load with no console error, no failed request and no
request that leaves the machine, render its math, fit the screen's width, and
leave a screenshot in ``artifacts/screenshots/site/``. On each page with a
panel, one slider and (where the page has one) one dropdown are moved with the
keyboard / the select box, and the shown image must become the pre-rendered
frame of the new state. The site is also served with ``python -m http.server``
and searched.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots" / "site"
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
GUIDE = sorted(
    "index" if p.stem == "README" else p.stem for p in (ROOT / "guide").glob("*.md")
)
PAGES = (
    ["index.html"]
    + [f"notebooks/{stem}.html" for stem in NOTEBOOKS]
    + [f"guide/{name}.html" for name in GUIDE]
)
PHONE = {"width": 390, "height": 844}


def _has_math(stem: str) -> bool:
    """True if a markdown cell of the notebook holds $…$ or $$…$$ math."""
    nb = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text(encoding="utf-8"))
    return any(
        re.search(r"\$[^$\s][^$]*\$", "".join(cell["source"]))
        for cell in nb["cells"]
        if cell["cell_type"] == "markdown"
    )


MATH_PAGES = {f"notebooks/{stem}.html" for stem in NOTEBOOKS if _has_math(stem)}
SLIDERS = ("slider", "log_slider", "selection_slider")


def _load_builder():
    spec = importlib.util.spec_from_file_location(
        "build_site", ROOT / "tools" / "build_site.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_site"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def site(chromium_required, tmp_path_factory):
    """The whole site, built once (all panels, all frames) with both cores; or,
    when COURSE_SITE names a folder ``make site`` built, that one."""
    builder = _load_builder()
    start = time.perf_counter()
    if os.environ.get("COURSE_SITE"):
        out = Path(os.environ["COURSE_SITE"]).resolve()
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        report = builder.BuildReport(**manifest["report"])
        report.site_bytes = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    else:
        out = tmp_path_factory.mktemp("site") / "site"
        report = builder.build_site(
            out, jobs=min(2, os.cpu_count() or 1), log=lambda *_: None
        )
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    seconds = time.perf_counter() - start
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS.parent.parent / "site_build.txt").write_text(
        report.summary() + f"\n(test build: {seconds:.0f} s)\n", encoding="utf-8"
    )
    return {"dir": out, "manifest": manifest, "builder": builder, "report": report}


def is_local(url: str) -> bool:
    """True for the site's own files and loopback addresses (and data:/blob:)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about", "file"}:
        return True
    return parts.hostname in {"127.0.0.1", "localhost", "::1"}


class Watch:
    """Everything a page does that the site must not: errors, failed or outside
    requests."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.external: list[str] = []
        self.failed: list[str] = []
        page.on(
            "console",
            lambda m: self.errors.append(m.text) if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on(
            "request",
            lambda r: None if is_local(r.url) else self.external.append(r.url),
        )
        page.on("requestfailed", lambda r: self.failed.append(r.url))

    def assert_clean(self, where: str) -> None:
        assert not self.errors, f"{where}: console errors {self.errors[:5]}"
        assert not self.external, (
            f"{where}: requests leave the page {self.external[:5]}"
        )
        assert not self.failed, f"{where}: failed requests {self.failed[:5]}"


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-site-ready]", state="attached", timeout=30_000)
    page.evaluate("() => document.fonts.ready")
    page.wait_for_function(
        "() => Array.from(document.images).every(i => i.complete)", timeout=30_000
    )


def _frame_image(entry: dict, indices: list[int], builder) -> str:
    flat = builder.flat_index(indices, [g["n"] for g in entry["grid"]])
    return entry["pool"][entry["frames"][flat][0]]


def _pick_move(entry: dict, kinds: tuple[str, ...], current: list[int], builder):
    """(control position, new index) of a control of ``kinds`` whose move changes
    the image; None if the panel has no such control."""
    before = _frame_image(entry, current, builder)
    for position, control in enumerate(entry["grid"]):
        if control["kind"] not in kinds or control["n"] < 2:
            continue
        for index in range(control["n"]):
            if index == current[position]:
                continue
            moved = list(current)
            moved[position] = index
            if _frame_image(entry, moved, builder) != before:
                return position, index
    return None


def _move(page, entry: dict, position: int, index: int) -> None:
    control = entry["grid"][position]
    locator = page.locator(
        f'#panel-{entry["key"]} [data-control="{control["name"]}"][data-grid]'
    )
    locator.scroll_into_view_if_needed()
    if control["kind"] in SLIDERS:  # the keyboard, as on a phone's screen reader
        locator.focus()
        locator.press("Home")
        for _ in range(index):
            locator.press("ArrowRight")
    else:
        locator.select_option(index=index)


def _check_frame(page, entry: dict, indices: list[int], builder) -> None:
    flat = builder.flat_index(indices, [g["n"] for g in entry["grid"]])
    expected = entry["pool"][entry["frames"][flat][0]]
    panel = page.locator(f"#panel-{entry['key']}")
    assert panel.get_attribute("data-frame") == str(flat)
    image = panel.locator('img[data-leaf="0"]')
    assert image.get_attribute("src") == expected
    page.wait_for_function(
        "(el) => el.complete && el.naturalWidth > 0", arg=image.element_handle()
    )
    readout = entry["pool"][entry["frames"][flat][1]]
    from bs4 import BeautifulSoup

    want = " ".join(BeautifulSoup(readout, "html.parser").get_text(" ").split())
    got = " ".join(panel.locator('[data-leaf="1"]').inner_text().split())
    assert got.replace(" ", "") == want.replace(" ", "")


@pytest.mark.parametrize("url", PAGES)
def test_page_on_a_phone_offline(site, phone, url):
    root = site["dir"]
    assert (root / url).is_file(), f"the site has no {url}"
    watch = Watch(phone)
    _open(phone, (root / url).as_uri())
    watch.assert_clean(url)
    assert phone.eval_on_selector_all(".katex-error", "els => els.length") == 0
    if url in MATH_PAGES:  # typeset by the vendored KaTeX, its fonts loaded
        assert phone.eval_on_selector_all(".katex", "els => els.length") > 0
        assert phone.evaluate(
            "() => Array.from(document.fonts).some("
            "f => f.family.includes('KaTeX') && f.status === 'loaded')"
        )
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"{url} is {width} px wide on a 390 px screen"
    if url == "index.html":  # the search index loads from file:// too
        phone.fill("#site-search", "注意力")
        phone.wait_for_selector("#site-search-results li a", timeout=10_000)
        phone.keyboard.press("Escape")
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(
        path=str(SHOTS / (url.replace("/", "__").removesuffix(".html") + ".png"))
    )

    builder = site["builder"]
    entries = [p for p in site["manifest"]["panels"] if p["page"] == url]
    living = [p for p in entries if "frames" in p]
    for entry in entries:
        assert phone.locator(f"#panel-{entry['key']}").count() == 1
    for entry in living:
        assert phone.locator(f'#panel-{entry["key"]}[data-ready="true"]').count() == 1
    moved = {"slider": False, "dropdown": False}
    state = {entry["key"]: [g["default"] for g in entry["grid"]] for entry in living}
    for kind, kinds in (("slider", SLIDERS), ("dropdown", ("dropdown",))):
        for entry in living:
            current = state[entry["key"]]
            move = _pick_move(entry, kinds, current, builder)
            if move is None:
                continue
            position, index = move
            before = phone.locator(
                f'#panel-{entry["key"]} img[data-leaf="0"]'
            ).get_attribute("src")
            _move(phone, entry, position, index)
            current[position] = index
            _check_frame(phone, entry, current, builder)
            after = phone.locator(
                f'#panel-{entry["key"]} img[data-leaf="0"]'
            ).get_attribute("src")
            assert after != before, f"{entry['key']}: the image did not change"
            phone.locator(f"#panel-{entry['key']}").screenshot(
                path=str(SHOTS / f"{entry['key']}-{kind}.png")
            )
            moved[kind] = True
            break
    if living:
        assert moved["slider"], f"{url}: no slider of its panels changes the image"
        has_dropdown = any(
            g["kind"] == "dropdown" and g["n"] > 1 for p in living for g in p["grid"]
        )
        assert moved["dropdown"] or not has_dropdown, (
            f"{url}: no dropdown changes the image"
        )
    watch.assert_clean(url + " after moving its panels")


def test_every_notebook_panel_is_on_the_site(site):
    builder = site["builder"]
    found = 0
    for stem in NOTEBOOKS:
        import nbformat

        nb = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
        specs = builder.find_panels(nb, stem)
        on_site = [
            p["key"]
            for p in site["manifest"]["panels"]
            if p["page"].endswith(f"/{stem}.html")
        ]
        assert on_site == [s.key for s in specs]
        found += len(specs)
    report = site["report"]
    assert report.panels + report.static_panels == found
    assert report.site_bytes < 80e6, f"the site is {report.site_bytes / 1e6:.0f} MB"


@pytest.fixture(scope="module")
def http_site(site):
    """The site served by ``python -m http.server`` on a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
         "--directory", str(site["dir"])],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(base + "index.html", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_served_site_searches_and_links(http_site, site, phone):
    watch = Watch(phone)
    _open(phone, http_site + "index.html")
    phone.fill("#site-search", "旋转位置编码")
    phone.wait_for_selector("#site-search-results li a", timeout=10_000)
    links = phone.eval_on_selector_all(
        "#site-search-results li a", "els => els.map(a => a.getAttribute('href'))"
    )
    assert any("notebooks/10_positional_encoding.html" in href for href in links), links
    phone.fill("#site-search", "")
    phone.fill("#site-search", "术语表")
    phone.wait_for_selector("#site-search-results li a")
    phone.click("#site-search-results li a >> nth=0")
    phone.wait_for_selector("body[data-site-ready]", state="attached")
    assert phone.url.startswith(http_site)
    # a panel page over http: its frames load from the server
    living = next(p for p in site["manifest"]["panels"] if "frames" in p)
    _open(phone, http_site + living["page"])
    assert phone.evaluate(
        "() => Array.from(document.querySelectorAll('.lp-img')).every(i => i.naturalWidth > 0)"
    )
    watch.assert_clean("http.server")
