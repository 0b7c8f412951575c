"""A JupyterLab server and a headless Chromium for the browser tests.

The server runs on loopback with a random free port and a random token, serves a
temporary copy of ``notebooks/`` (so JupyterLab's autosave never touches the
committed notebooks), and is shut down whatever happens. Chromium is Debian's
(``/usr/bin/chromium``), driven by Playwright's Python package.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"

# JupyterLab settings for the test server: every cell rendered (no virtual
# scrolling), so each panel can be found and screenshotted. No news / update
# settings here: the test checks that the course's own environment turns them off
# (tools/configure_lab.py, run by `make setup`), as a teacher's `make lab` does.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none",
    },
}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _browser_available() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return Path(CHROMIUM).exists()


@pytest.fixture(scope="session")
def chromium_required():
    if not _browser_available():
        reason = f"browser tests need Playwright and Chromium at {CHROMIUM}"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI must install them: see .ci/run)")
        pytest.skip(reason + " (apt-get install chromium)")


class LabServer:
    """A running JupyterLab: ``url(path)`` builds an authenticated address."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.log_path = workdir / "jupyterlab.log"
        self.process: subprocess.Popen | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}?token={self.token}"

    def start(self, timeout: float = 90.0) -> None:
        root = self.workdir / "course"
        shutil.copytree(ROOT / "notebooks", root / "notebooks")
        settings = self.workdir / "settings"
        for name, values in LAB_SETTINGS.items():
            path = settings / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(self.workdir / "config"),
            JUPYTER_RUNTIME_DIR=str(self.workdir / "runtime"),
            COURSE_FAST="1",  # the browser run checks the UI, not training quality
            PYDEVD_DISABLE_FILE_VALIDATION="1",
        )
        command = [
            sys.executable, "-m", "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={self.workdir / 'workspaces'}",
        ]  # fmt: skip
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")  # CI containers run as root
        log = self.log_path.open("w")
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env,
            cwd=root, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited with code {self.process.returncode}:\n"
                    + self.log_path.read_text()[-3000:]
                )
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        raise RuntimeError(
            f"JupyterLab did not answer within {timeout:.0f} s:\n"
            + self.log_path.read_text()[-3000:]
        )

    def shutdown_kernels(self) -> None:
        """Shut down every session's kernel (between notebooks)."""
        try:
            with urllib.request.urlopen(self.url("api/sessions"), timeout=5) as r:
                sessions = json.load(r)
            for session in sessions:
                request = urllib.request.Request(
                    self.url(f"api/sessions/{session['id']}"), method="DELETE"
                )
                urllib.request.urlopen(request, timeout=10).close()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.shutdown_kernels()
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


@pytest.fixture(scope="session")
def lab_server(chromium_required, tmp_path_factory):
    server = LabServer(tmp_path_factory.mktemp("jupyterlab"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser(chromium_required):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


def is_local(url: str) -> bool:
    """True for addresses on this machine (and for data:/blob:/about: URLs)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about", "chrome-extension"}:
        return True
    host = parts.hostname or ""
    return host in {"127.0.0.1", "localhost", "::1"} or parts.scheme == "file"


@pytest.fixture
def page(browser, lab_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.external_requests = []  # every request that would leave 127.0.0.1
    page.on(
        "request",
        lambda request: (
            None
            if is_local(request.url)
            else page.external_requests.append(request.url)
        ),
    )
    try:
        yield page
    finally:
        context.close()
        lab_server.shutdown_kernels()
