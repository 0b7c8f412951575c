"""Every notebook, as a learner sees it: JupyterLab in headless Chromium.

For each notebook: open it, restart the kernel and run all cells (the menu command
a teacher uses), wait until every cell has run, assert that no cell shows an error
or a warning, then move a control of every interactive panel with the keyboard or
mouse and assert that the panel's picture or text changed. A full-page screenshot
goes to ``artifacts/screenshots/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"

NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# Seconds allowed for "restart and run all" per notebook (the training notebook
# trains in fast mode here).
TIME_LIMIT = {"13_train_a_tiny_llm.ipynb": 420, "15_parallel_training.ipynb": 300}
DEFAULT_LIMIT = 180

# JavaScript run in the page. The app object is exposed by the test server
# (--LabApp.expose_app_in_browser).
JS_RUN_STATE = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) return {ready: false};
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = panel.content.widgets.filter(
    c => c.model.type === 'code' && c.model.sharedModel.getSource().trim() !== '');
  const pending = cells.findIndex(c => c.promptNode &&
                                       c.promptNode.textContent.includes('*'));
  const notRun = cells.filter(c => c.model.executionCount === null).length;
  return {ready: true, kernel: kernel ? kernel.status : 'none', pending,
          notRun, total: cells.length};
}"""

JS_PROBLEMS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const problems = [];
  panel.content.widgets.forEach((cell, index) => {
    const node = cell.node;
    node.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]')
      .forEach(o => problems.push({cell: index, text: o.innerText.slice(0, 600)}));
    const text = node.innerText || '';
    for (const bad of ['Error displaying widget', 'Model not found',
                       'Failed to load model class']) {
      if (text.includes(bad)) problems.push({cell: index, text: bad});
    }
  });
  return problems;
}"""


def _open_notebook(page, lab_server, name: str) -> None:
    # A workspace of its own per notebook: no tabs (and kernels) of earlier
    # notebooks are restored when the page opens.
    workspace = Path(name).stem.replace("_", "-")
    page.goto(lab_server.url(f"lab/workspaces/{workspace}/tree/notebooks/{name}"))
    page.wait_for_function(
        "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " return !!(w && w.content && w.sessionContext && w.sessionContext.session"
        " && w.sessionContext.session.kernel"
        " && w.sessionContext.session.kernel.status === 'idle'); }",
        timeout=90_000,
    )


def _restart_and_run_all(page, name: str, limit: float) -> None:
    # Clear stored outputs first so that "finished" can only mean "ran now".
    page.evaluate(
        "() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')"
    )
    # The menu command a teacher uses, confirmed in its dialog like a user would.
    page.click("text=Kernel", timeout=30_000)
    page.click("text=Restart Kernel and Run All Cells…", timeout=30_000)
    page.click(".jp-Dialog .jp-mod-accept", timeout=30_000)
    try:
        page.wait_for_function(
            f"() => {{ const s = ({JS_RUN_STATE})();"
            " return s.ready && s.kernel === 'idle' && s.pending < 0"
            " && (s.notRun === 0 || document.querySelector("
            "'[data-mime-type=\"application/vnd.jupyter.stderr\"]') !== null); }",
            timeout=limit * 1000,
            polling=500,
        )
    except Exception as exc:  # a time-out: say which cell was still running
        state = page.evaluate(JS_RUN_STATE)
        pytest.fail(
            f"{name}: did not finish 'restart and run all' within {limit:.0f} s "
            f"(kernel {state.get('kernel')}, running cell index {state.get('pending')}, "
            f"{state.get('notRun')} of {state.get('total')} code cells not run): {exc}"
        )


# Draw a Chinese character and a code point no font has (which renders as the
# "missing glyph" box) in the notebook's font; equal pixels mean the text shows as
# boxes (tofu) because no CJK font is installed.
JS_CJK_RENDERS = """() => {
  const font = getComputedStyle(document.querySelector('.jp-RenderedMarkdown')
                                || document.body).fontFamily;
  const draw = (text) => {
    const canvas = document.createElement('canvas');
    canvas.width = 64; canvas.height = 64;
    const ctx = canvas.getContext('2d');
    ctx.font = '40px ' + font;
    ctx.fillText(text, 4, 48);
    return Array.from(ctx.getImageData(0, 0, 64, 64).data).join(',');
  };
  return draw('中') !== draw(String.fromCodePoint(0x10FFFD)) && draw('中') !== draw('学');
}"""


def _wait_idle(page, timeout_ms: int = 60_000) -> None:
    page.wait_for_function(
        f"() => {{ const s = ({JS_RUN_STATE})(); return s.ready && s.kernel === 'idle'; }}",
        timeout=timeout_ms,
        polling=200,
    )


def _panels(page):
    """Output areas that hold an interactive panel (a widget with an image)."""
    return page.locator(".jp-OutputArea-output:has(.widget-image)")


def _fingerprint(panel) -> str:
    return panel.evaluate(
        "(node) => Array.from(node.querySelectorAll('img')).map(i => i.src).join('|')"
        " + '#' + Array.from(node.querySelectorAll('.widget-html-content'))"
        ".map(h => h.innerText).join('|')"
    )


def _wait_changed(page, panel, before: str, timeout_ms: int = 20_000) -> bool:
    try:
        page.wait_for_function(
            "([node, before]) => (Array.from(node.querySelectorAll('img'))"
            ".map(i => i.src).join('|') + '#' + Array.from(node.querySelectorAll("
            "'.widget-html-content')).map(h => h.innerText).join('|')) !== before",
            arg=[panel.element_handle(), before],
            timeout=timeout_ms,
        )
        return True
    except Exception:
        return False


def _move_a_control(page, panel) -> str:
    """Move one slider (keyboard) or change one dropdown (mouse); return what."""
    handles = panel.locator(".noUi-handle")
    for i in range(handles.count()):
        handle = handles.nth(i)
        for key in ("ArrowRight", "ArrowLeft"):
            before = _fingerprint(panel)
            handle.scroll_into_view_if_needed()
            handle.click()  # focus the slider like a user, then use the keyboard
            for _ in range(3):
                handle.press(key)
            if _wait_changed(page, panel, before):
                return f"slider {i} ({key})"
    selects = panel.locator(".widget-dropdown select")
    for i in range(selects.count()):
        select = selects.nth(i)
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("(s) => s.options[s.selectedIndex].text")
        for option in options:
            if option == current:
                continue
            before = _fingerprint(panel)
            select.scroll_into_view_if_needed()
            select.select_option(label=option)
            if _wait_changed(page, panel, before):
                return f"dropdown {i} → {option}"
    return ""


def _screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "() => { const w = window.jupyterapp.shell.currentWidget.node;"
        " const s = w.querySelector('.jp-WindowedPanel-outer') || w;"
        " return s.scrollHeight; }"
    )
    page.set_viewport_size({"width": 1280, "height": int(min(height + 200, 30000))})
    page.evaluate(
        "() => { const w = window.jupyterapp.shell.currentWidget.node;"
        " (w.querySelector('.jp-WindowedPanel-outer') || w).scrollTop = 0; }"
    )
    path = SCREENSHOTS / (Path(name).stem + ".png")
    page.screenshot(path=str(path))
    return path


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_jupyterlab(page, lab_server, name):
    _open_notebook(page, lab_server, name)
    _restart_and_run_all(page, name, TIME_LIMIT.get(name, DEFAULT_LIMIT))

    assert page.evaluate(JS_CJK_RENDERS), (
        f"{name}: Chinese text renders as boxes in the browser (no CJK font: "
        "apt-get install fonts-wqy-microhei)"
    )
    problems = page.evaluate(JS_PROBLEMS)
    assert not problems, f"{name}: " + "; ".join(
        f"cell {p['cell']} shows: {p['text']}" for p in problems
    )

    panels = _panels(page)
    count = panels.count()
    assert count >= 1, f"{name}: no interactive panel rendered in the browser"
    for index in range(count):
        moved = _move_a_control(page, panels.nth(index))
        assert moved, (
            f"{name}: panel {index + 1} of {count}: moving its sliders / dropdowns "
            "changed nothing on screen"
        )
    _wait_idle(page)
    problems = page.evaluate(JS_PROBLEMS)
    assert not problems, f"{name} after moving controls: {problems}"
    assert _screenshot(page, name).stat().st_size > 10_000
    # a quiet classroom: no news pop-up, and nothing left 127.0.0.1
    assert page.get_by_text("official Jupyter news").count() == 0, (
        f"{name}: JupyterLab asked about news (run `make setup`: tools/configure_lab.py)"
    )
    assert not page.external_requests, (
        f"{name}: requests left the machine: " + ", ".join(page.external_requests[:5])
    )
