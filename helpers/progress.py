"""The learner's progress: every checker verdict, kept in one local JSON file.

Nothing leaves the machine. The file is ``~/.llm_course/progress.json`` unless
``COURSE_PROGRESS_FILE`` names another; ``COURSE_PROGRESS=off`` turns recording off.
Writes are safe with several kernels open at once (a lock file, then an atomic
rename); a file that cannot be read is moved aside (``progress.json.corrupt-…``),
never deleted. ``python -m helpers.progress`` prints the table; notebook 00 shows it.
Introduced in 00_course_map.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import importlib
import json
import os
import pkgutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ProgressRow",
    "enabled",
    "exercise_catalogue",
    "load",
    "progress_path",
    "progress_table",
    "record",
]

PATH_ENV = "COURSE_PROGRESS_FILE"
SWITCH_ENV = "COURSE_PROGRESS"
_FORMAT = "llm-course-progress-v1"


def progress_path() -> Path:
    """Where the progress file lives (``COURSE_PROGRESS_FILE`` overrides)."""
    override = os.environ.get(PATH_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return Path.home() / ".llm_course" / "progress.json"


def enabled() -> bool:
    """False when ``COURSE_PROGRESS`` is ``off`` / ``0`` / ``no`` / ``false``."""
    value = os.environ.get(SWITCH_ENV, "on").strip().lower()
    return value not in {"off", "0", "no", "false"}


@contextlib.contextmanager
def _locked(path: Path, timeout: float = 5.0) -> Iterator[None]:
    """Hold an exclusive lock on ``path.lock`` (fcntl where there is one, an
    exclusively created lock file elsewhere)."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        import fcntl
    except ImportError:  # Windows: a lock file created exclusively
        deadline = time.monotonic() + timeout
        while True:
            try:
                fd = os.open(lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                break
            except FileExistsError:
                if time.monotonic() > deadline:  # a stale lock from a killed kernel
                    os.unlink(lock_path)
                    continue
                time.sleep(0.02)
        try:
            yield
        finally:
            os.close(fd)
            os.unlink(lock_path)
        return
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _read(path: Path) -> dict:
    """The stored records; a damaged file is moved aside and an empty store used."""
    if not path.exists():
        return {"format": _FORMAT, "exercises": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("exercises"), dict):
            raise ValueError("not a progress file")
        return data
    except (ValueError, UnicodeDecodeError):
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        aside = path.with_name(f"{path.name}.corrupt-{stamp}")
        os.replace(path, aside)
        print(f"⚠ 进度文件无法读取，已另存为 {aside}，重新开始记录。")
        return {"format": _FORMAT, "exercises": {}}


def _write(path: Path, data: dict) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def record(exercise_id: str, *, passed: bool, attempted: bool) -> None:
    """Store one verdict. Never raises: a checker must not fail because the
    progress file cannot be written (the reason is printed once instead)."""
    if not enabled():
        return
    path = progress_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        now = _dt.datetime.now().isoformat(timespec="seconds")
        with _locked(path):
            data = _read(path)
            entry = data["exercises"].setdefault(
                exercise_id, {"status": "not_attempted", "tries": 0}
            )
            if attempted:
                entry["tries"] = int(entry.get("tries", 0)) + 1
                if passed:
                    entry["status"] = "passed"
                    entry.setdefault("passed_at", now)
                elif entry.get("status") != "passed":
                    entry["status"] = "attempted"
            entry["last_at"] = now
            _write(path, data)
    except OSError as exc:
        global _warned
        if not _warned:
            _warned = True
            print(f"⚠ 无法写入进度文件 {path}（{exc.strerror}）；检查结果不受影响。")


_warned = False


def load() -> dict[str, dict]:
    """exercise id → stored record (an empty dict when nothing is stored)."""
    path = progress_path()
    if not path.exists():
        return {}
    with _locked(path):
        return dict(_read(path)["exercises"])


def exercise_catalogue() -> dict[str, list[str]]:
    """notebook ("06") → the exercise ids its checkers define, from
    ``helpers.checks.nbNN.CHECKER_CASES``."""
    import helpers.checks

    catalogue: dict[str, list[str]] = {}
    for info in sorted(
        pkgutil.iter_modules(helpers.checks.__path__), key=lambda i: i.name
    ):
        if not info.name.startswith("nb"):
            continue
        module = importlib.import_module(f"helpers.checks.{info.name}")
        for cases in getattr(module, "CHECKER_CASES", []):
            exercise = cases.exercise
            catalogue.setdefault(exercise.notebook, []).append(exercise.id)
    return catalogue


@dataclass(frozen=True)
class ProgressRow:
    """One notebook's line of the progress table."""

    notebook: str
    passed: int
    attempted: int  # tried but not passed yet
    not_attempted: int


def progress_table() -> list[ProgressRow]:
    """One row per notebook with exercises: passed / attempted / not attempted."""
    stored = load()
    rows = []
    for notebook, ids in sorted(exercise_catalogue().items()):
        statuses = [stored.get(i, {}).get("status", "not_attempted") for i in ids]
        rows.append(
            ProgressRow(
                notebook,
                statuses.count("passed"),
                statuses.count("attempted"),
                statuses.count("not_attempted"),
            )
        )
    return rows


def format_table(rows: list[ProgressRow]) -> str:
    """The table as text, with totals and the file's path."""
    lines = [f"{'notebook':<10}{'passed':>8}{'attempted':>11}{'not yet':>9}"]
    for r in rows:
        lines.append(
            f"{r.notebook:<10}{r.passed:>8}{r.attempted:>11}{r.not_attempted:>9}"
        )
    lines.append(
        f"{'total':<10}{sum(r.passed for r in rows):>8}"
        f"{sum(r.attempted for r in rows):>11}{sum(r.not_attempted for r in rows):>9}"
    )
    state = "on" if enabled() else f"off ({SWITCH_ENV}=off)"
    lines.append(f"progress file: {progress_path()}  (recording {state})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.progress",
        description="Show the exercises passed / attempted per notebook.",
    )
    parser.parse_args(argv)
    print(format_table(progress_table()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
