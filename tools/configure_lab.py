"""Make the course's JupyterLab quiet and (optionally) Chinese, inside its own
environment only (never the user's home folder).

Writes two files under ``sys.prefix`` (the course's ``.venv``):

* ``share/jupyter/lab/settings/overrides.json`` — JupyterLab's default settings for
  this environment: no "get notified about official Jupyter news?" pop-up, no news
  or update requests, and the interface language (``--lang zh`` → 中文（简体）);
* ``etc/jupyter/jupyter_server_config.d/llm_course.json`` — the server side: no news
  URL, never check for updates.

Run by ``make setup`` and ``make lab`` (``make lab LANG=zh_CN.UTF-8`` or
``make lab UI=zh`` opens the Chinese interface). A learner's own settings, made in
the Settings menu, still take precedence.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

LANGUAGES = {"en": "en", "zh": "zh_CN"}


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    os.replace(tmp, path)


def lab_overrides(language: str) -> dict:
    """JupyterLab settings for a quiet classroom, in ``language`` ("en" or "zh")."""
    if language not in LANGUAGES:
        raise ValueError(
            f"language must be one of {sorted(LANGUAGES)}, got {language!r}"
        )
    return {
        "@jupyterlab/apputils-extension:notification": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
        "@jupyterlab/translation-extension:plugin": {"locale": LANGUAGES[language]},
    }


SERVER_CONFIG = {
    "LabApp": {
        "news_url": None,
        "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
    }
}


def configure(prefix: Path, language: str) -> list[Path]:
    """Write both files under ``prefix``; returns their paths."""
    overrides = prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    server = prefix / "etc" / "jupyter" / "jupyter_server_config.d" / "llm_course.json"
    _write_json(overrides, lab_overrides(language))
    _write_json(server, SERVER_CONFIG)
    return [overrides, server]


def language_from(value: str) -> str:
    """ "zh", "zh_CN", "zh_CN.UTF-8" → "zh"; anything else (e.g. en_US.UTF-8) → "en"."""
    return "zh" if value.strip().lower().startswith("zh") else "en"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", default="en", help="zh… for Chinese, else English")
    parser.add_argument("--prefix", type=Path, default=Path(sys.prefix))
    args = parser.parse_args(argv)
    for path in configure(args.prefix, language_from(args.lang)):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
