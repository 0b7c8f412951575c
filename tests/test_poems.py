"""Tests of helpers.data.poems: the Tang-poem corpus build and the form score.

The build runs on a small hand-made tarball written in ``tmp_path`` (same layout
as the npm package), with the module's manifest and cache pointed there; no
network is needed. One test reads the real built corpus: skipped locally when it
is not built, but under CI it must be there.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import random
import stat
import tarfile
from pathlib import Path

import opencc
import pytest

from helpers.data import poems

# --------------------------------------------------------------------- the fixture

JINGYESI_TRAD = "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。"
JINGYESI = "床前明月光，疑是地上霜。举头望明月，低头思故乡。"
# Characters written the same in Traditional and Simplified Chinese.
POOL = "春山夜月江花雨秋水寒白日青天孤舟客心故人明光行思"
IRREGULAR = [
    "床前明月光，疑是地上霜。（一作看月光）舉頭望明月，低頭思故鄉。",  # brackets
    "床前明月光，疑是地上□。舉頭望明月，低頭思故鄉。",  # lost character
    "床前明月光，疑是地上霜。舉頭望明月，低頭思Gu鄉。",  # Latin
    "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。床前明月光，疑是地上霜。",  # 6
    "床前明月光，疑是地上霜。舉頭望明月色，低頭思故鄉。",  # mixed 5 and 7
    "床前明月光，疑是地上霜？舉頭望明月，低頭思故鄉。",  # ？ instead of 。
]


def _regular_poems(count: int) -> list[str]:
    rng = random.Random(1)
    result: list[str] = []
    while len(result) < count:
        n, couplets = rng.choice([(5, 2), (7, 2), (5, 4), (7, 4)])
        sentences = ["".join(rng.choices(POOL, k=n)) for _ in range(2 * couplets)]
        poem = "".join(
            s + ("，" if i % 2 == 0 else "。") for i, s in enumerate(sentences)
        )
        if poem not in result:
            result.append(poem)
    return result


def _entry(text: str) -> dict:
    """One poem as the package stores it: one couplet per paragraph."""
    couplets = [part + "。" for part in text.split("。") if part]
    return {"author": "佚名", "paragraphs": couplets, "title": "无题", "id": "x"}


def _tarball(path: Path, files: dict[str, list[dict]]) -> dict:
    """Write a .tgz with ``files`` (name -> JSON list); return its npm hashes."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            payload = json.dumps(data, ensure_ascii=False).encode()
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    data = path.read_bytes()
    return {
        "integrity": "sha512-"
        + base64.b64encode(hashlib.sha512(data).digest()).decode(),
        "shasum": hashlib.sha1(data).hexdigest(),
    }


REGULAR = _regular_poems(41)
# File 1000 comes after file 0 although "poet.tang.1000" sorts before "poet.tang.2"
FILES = {
    "package/dist/quantangshi/poet.tang.0.json": [_entry(JINGYESI_TRAD)]
    + [_entry(p) for p in REGULAR[:20]]
    + [_entry(p) for p in IRREGULAR],
    "package/dist/quantangshi/poet.tang.1000.json": [_entry(p) for p in REGULAR[20:]]
    + [_entry(REGULAR[0]), _entry(REGULAR[5])],  # two repeated poems
    "package/dist/quantangshi/authors.tang.json": [_entry(REGULAR[1])],  # not poems
    "package/dist/songci/poet.tang.5.json": [_entry(REGULAR[2])],  # other folder
}
N_READ = 1 + 41 + len(IRREGULAR) + 2
N_REGULAR = 1 + 41 + 2
N_POEMS = 42
VAL_FRACTION = 0.2
N_VAL = round(N_POEMS * VAL_FRACTION)


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A tarball, its manifest (no corpus recorded yet) and an empty cache place."""
    tarball = tmp_path / "chinese-poetry-2.0.1.tgz"
    hashes = _tarball(tarball, FILES)
    manifest = {
        "source": {"package": "chinese-poetry", "version": "2.0.1", **hashes},
        "build": {
            "opencc": opencc.__version__,
            "conversion": "t2s",
            "split_seed": 0,
            "val_fraction": VAL_FRACTION,
        },
    }
    manifest_path = tmp_path / "data" / "poems.lock.json"
    manifest_path.parent.mkdir()
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    cache = tmp_path / "data" / "cache" / "poems"
    monkeypatch.setattr(poems, "MANIFEST_PATH", manifest_path)
    monkeypatch.setattr(poems, "CACHE_DIR", cache)
    return {"tarball": tarball, "manifest": manifest_path, "cache": cache}


@pytest.fixture
def built(env):
    """``env`` after a recorded build (the maintainer's ``--record``)."""
    assert poems.main(["build", "--from", str(env["tarball"]), "--record"]) == 0
    return env


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _manifest(env) -> dict:
    return json.loads(env["manifest"].read_text(encoding="utf-8"))


# ----------------------------------------------------------------------- the build


def test_build_counts_conversion_and_record(built):
    corpus = _manifest(built)["corpus"]
    assert corpus["poems_read"] == N_READ
    assert corpus["poems_regular"] == N_REGULAR
    assert corpus["duplicates_removed"] == 2
    assert corpus["poems"] == N_POEMS
    assert (corpus["train"]["poems"], corpus["val"]["poems"]) == (
        N_POEMS - N_VAL,
        N_VAL,
    )
    train, val = poems.load_poems("train"), poems.load_poems("val")
    everything = train + val
    assert sorted(everything) == sorted([JINGYESI, *REGULAR])  # Simplified, no repeat
    assert all(poems.is_well_formed(p) for p in everything)
    assert corpus["characters"] == sum(len(p) + 1 for p in everything)
    assert corpus["distinct_characters"] == len(set("\n".join(everything) + "\n"))
    assert poems.poem_text("val") == "\n".join(val)
    assert poems.corpus_available()
    # each split keeps the order of the source files (file 1000 after file 0)
    order = {p: i for i, p in enumerate([JINGYESI, *REGULAR])}
    assert [order[p] for p in train] == sorted(order[p] for p in train)


def test_split_is_by_poem_and_deterministic(built):
    train, val = poems.load_poems("train"), poems.load_poems("val")
    assert not set(train) & set(val)
    before = {s: (built["cache"] / f"{s}.txt").read_bytes() for s in ("train", "val")}
    poems.build_corpus(built["tarball"], force=True)  # checked against the record
    after = {s: (built["cache"] / f"{s}.txt").read_bytes() for s in ("train", "val")}
    assert before == after
    # another seed draws another validation set of the same size
    manifest = _manifest(built)
    manifest["build"]["split_seed"] = 1
    built["manifest"].write_text(json.dumps(manifest), encoding="utf-8")
    poems._build(built["tarball"], force=True, record=True)
    other = poems.load_poems("val")
    assert len(other) == len(val) and set(other) != set(val)


def test_tampered_tarball_is_refused_and_nothing_is_written(env):
    data = bytearray(env["tarball"].read_bytes())
    data[len(data) // 2] ^= 0xFF
    env["tarball"].write_bytes(bytes(data))
    with pytest.raises(poems.PoemsUnavailable, match="is not the published"):
        poems._build(env["tarball"], force=False, record=True)
    assert not env["cache"].exists()
    assert list(env["cache"].parent.iterdir()) == []  # no temporary leftovers


def test_failure_mid_build_leaves_no_partial_cache(built, monkeypatch):
    good = {s: (built["cache"] / f"{s}.txt").read_bytes() for s in ("train", "val")}
    real_write = poems._write_corpus

    def write_then_fail(splits, folder):
        real_write(splits, folder)
        assert (folder / "train.txt").is_file()  # the failure comes mid-build
        raise OSError("disk full")

    monkeypatch.setattr(poems, "_write_corpus", write_then_fail)
    # a rebuild over a good cache fails: the good cache is untouched
    with pytest.raises(OSError, match="disk full"):
        poems.build_corpus(built["tarball"], force=True)
    assert {s: (built["cache"] / f"{s}.txt").read_bytes() for s in good} == good
    assert sorted(p.name for p in built["cache"].parent.iterdir()) == ["poems"]
    # a first build fails: no cache at all
    for path in built["cache"].iterdir():
        path.unlink()
    built["cache"].rmdir()
    with pytest.raises(OSError, match="disk full"):
        poems.build_corpus(built["tarball"])
    assert list(built["cache"].parent.iterdir()) == []
    assert not poems.corpus_available()


def test_build_checks_the_recorded_hashes(built):
    manifest = _manifest(built)
    manifest["corpus"]["val"]["sha256"] = "0" * 64
    built["manifest"].write_text(json.dumps(manifest), encoding="utf-8")
    before = (built["cache"] / "train.txt").read_bytes()
    with pytest.raises(poems.PoemsUnavailable, match="val.txt does not match"):
        poems.build_corpus(built["tarball"], force=True)
    assert (built["cache"] / "train.txt").read_bytes() == before


def test_load_checks_the_cache_against_the_manifest(built):
    val = built["cache"] / "val.txt"
    val.write_text(val.read_text(encoding="utf-8") + JINGYESI + "\n", encoding="utf-8")
    assert not poems.corpus_available()
    with pytest.raises(poems.PoemsUnavailable, match="does not match the SHA-256"):
        poems.load_poems("train")
    # the plain build (what `make test` runs) repairs it
    poems.build_corpus(built["tarball"])
    assert poems.corpus_available()


def test_missing_corpus_says_how_to_get_it(env):
    with pytest.raises(poems.PoemsUnavailable) as info:
        poems.load_poems("train")
    message = str(info.value)
    for needed in (
        "make poems",
        "python -m helpers.data.poems build",
        "--from FILE",
        "npm pack chinese-poetry@2.0.1",
    ):
        assert needed in message
    assert not poems.corpus_available()
    with pytest.raises(poems.PoemsUnavailable, match="records no built corpus"):
        poems.build_corpus(env["tarball"])  # nothing recorded to check against


def test_opencc_version_must_match_the_manifest(env):
    manifest = _manifest(env)
    manifest["build"]["opencc"] = "0.0.1"
    env["manifest"].write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(poems.PoemsUnavailable, match="opencc 0.0.1"):
        poems._build(env["tarball"], force=False, record=True)
    assert not env["cache"].exists()


def _fake_npm(folder: Path, script: str) -> None:
    folder.mkdir()
    npm = folder / "npm"
    npm.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)


@pytest.mark.skipif(os.name == "nt", reason="the fake npm is a shell script")
def test_npm_pack_fetches_the_pinned_package(built, tmp_path, monkeypatch):
    log = tmp_path / "npm-args.txt"
    _fake_npm(
        tmp_path / "bin",
        f'echo "$@" > "{log}"\n'
        'while [ "$1" != "--pack-destination" ]; do shift; done\n'
        f'cp "{built["tarball"]}" "$2/chinese-poetry-2.0.1.tgz"\n',
    )
    monkeypatch.setenv("PATH", str(tmp_path / "bin") + os.pathsep + os.environ["PATH"])
    assert poems.build_corpus(force=True) == built["cache"]
    assert log.read_text().startswith("pack chinese-poetry@2.0.1 --pack-destination")
    assert poems.corpus_available()


@pytest.mark.skipif(os.name == "nt", reason="the fake npm is a shell script")
def test_npm_failures_say_why_and_how(built, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    with pytest.raises(poems.PoemsUnavailable, match="npm is not installed") as info:
        poems.build_corpus(force=True)
    assert "--from FILE" in str(info.value)
    _fake_npm(
        tmp_path / "bin",
        'echo "npm error code ECONNREFUSED" >&2\n'
        'echo "npm error request to the registry failed, reason: refused" >&2\n'
        "exit 1\n",
    )
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(poems.PoemsUnavailable, match="ECONNREFUSED") as info:
        poems.build_corpus(force=True)
    assert "reason: refused" in str(info.value) and "--from FILE" in str(info.value)
    # the corpus built before is still there and intact, with no leftovers beside it
    assert poems.corpus_available()
    assert [p.name for p in built["cache"].parent.iterdir()] == ["poems"]


def test_cli_reports_and_fails_cleanly(built, tmp_path, capsys):
    assert poems.main(["build", "--from", str(built["tarball"])]) == 0
    assert f"{N_POEMS:,} poems" in capsys.readouterr().out
    assert poems.main(["build", "--from", str(tmp_path / "no.tgz"), "--force"]) == 1
    err = capsys.readouterr().err
    assert "does not exist" in err and "make poems" in err


def test_bad_arguments(env):
    with pytest.raises(TypeError, match="tarball must be a path"):
        poems.build_corpus(3)
    with pytest.raises(TypeError, match="force must be True or False"):
        poems.build_corpus(env["tarball"], force="yes")
    with pytest.raises(ValueError, match="unknown split 'test'"):
        poems.load_poems("test")
    with pytest.raises(ValueError, match="unknown split"):
        poems.poem_text(None)


# ---------------------------------------------------------------- the form score

GOOD = [
    "床前明月光，疑是地上霜。举头望明月，低头思故乡。",  # 五言绝句
    "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。\n",  # trailing newline is fine
    "朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。",  # 七言绝句
    "国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。"
    "烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪。",  # 五言律诗
    "风急天高猿啸哀，渚清沙白鸟飞回。无边落木萧萧下，不尽长江滚滚来。"
    "万里悲秋常作客，百年多病独登台。艰难苦恨繁霜鬓，潦倒新停浊酒杯。",  # 七言律诗
    "𬬻前明月光，疑是地上霜。举头望明月，低头思故乡。",  # a supplementary-plane Han
]
BAD = {
    "mixed lengths": "床前明月光，疑是地上霜。举头望明月色，低头思故乡。",
    "wrong punctuation": "床前明月光。疑是地上霜，举头望明月。低头思故乡，",
    "question mark": "床前明月光，疑是地上霜？举头望明月，低头思故乡。",
    "missing final 。": "床前明月光，疑是地上霜。举头望明月，低头思故乡",
    "3 lines": "床前明月光，疑是地上霜。举头望明月，",
    "6 lines": "床前明月光，疑是地上霜。举头望明月，低头思故乡。床前明月光，疑是地上霜。",
    "Latin": "床前明月光，疑是地上霜。举头望明月，低头思guxiang。",
    "6 characters": "床前明月光光，疑是地上霜霜。举头望明月月，低头思故乡乡。",
    "lost character": "床前明月光，疑是地上□。举头望明月，低头思故乡。",
    "ASCII comma": "床前明月光,疑是地上霜。举头望明月,低头思故乡。",
    "inner space": "床前明月光，疑是地上霜。 举头望明月，低头思故乡。",
    "two poems": "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。",
    "empty": "",
}


@pytest.mark.parametrize("poem", GOOD)
def test_well_formed_poems(poem):
    assert poems.is_well_formed(poem)


@pytest.mark.parametrize("name", BAD)
def test_irregular_poems(name):
    assert not poems.is_well_formed(BAD[name])


def test_form_score_is_the_fraction_well_formed():
    assert poems.poem_form_score(GOOD) == 1.0
    assert poems.poem_form_score(BAD.values()) == 0.0
    mixed = GOOD[:3] + list(BAD.values())[:9]
    assert poems.poem_form_score(mixed) == pytest.approx(3 / 12)
    assert poems.poem_form_score(iter(GOOD[:1] + [BAD["Latin"]])) == 0.5


def test_form_score_bad_input():
    with pytest.raises(TypeError, match="single str"):
        poems.poem_form_score(GOOD[0])
    with pytest.raises(TypeError, match="iterable of str"):
        poems.poem_form_score(5)
    with pytest.raises(TypeError, match=r"poems\[1\] must be a str"):
        poems.poem_form_score([GOOD[0], None])
    with pytest.raises(ValueError, match="empty"):
        poems.poem_form_score([])
    with pytest.raises(TypeError, match="poem must be a str"):
        poems.is_well_formed(["床前明月光"])


# ------------------------------------------------------------- the real corpus


def _under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def test_real_corpus_matches_its_manifest():
    if not poems.corpus_available():
        try:
            poems.load_poems("train")
        except poems.PoemsUnavailable as exc:
            if _under_ci():
                pytest.fail(f"CI needs the Tang poems (make test builds them): {exc}")
            pytest.skip(f"the Tang poems are not built here: {exc}")
    corpus = json.loads(poems.MANIFEST_PATH.read_text(encoding="utf-8"))["corpus"]
    train, val = poems.load_poems("train"), poems.load_poems("val")
    assert (len(train), len(val)) == (corpus["train"]["poems"], corpus["val"]["poems"])
    assert len(train) + len(val) > 30_000
    assert len(val) == round((len(train) + len(val)) * 0.05)
    assert not set(train) & set(val)
    assert poems.poem_form_score(val) == 1.0
    text = poems.poem_text("train") + "\n" + poems.poem_text("val") + "\n"
    # 全唐诗's version of 静夜思, in Simplified Chinese
    assert "床前看月光，疑是地上霜。举头望山月，低头思故乡。\n" in text
    assert not set("舉頭鄉東風") & set(text)
    assert len(set(text)) == corpus["distinct_characters"]
    assert len(text) == corpus["characters"]
