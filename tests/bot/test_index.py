"""The matcher's index: the same whether built or read back, rebuilt when anything it is
built from changes, and never an error when its cache file is bad or cannot be written."""

from __future__ import annotations

import shutil
from dataclasses import fields
from pathlib import Path

import pytest

from bot import index as index_module
from bot.index import Index, build, fingerprint, index_for
from bot.knowledge import Knowledge, load_from
from bot.matching import Matcher

ROOT = Path(__file__).resolve().parents[2] / "knowledge"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("MAILMEDIC_CACHE_DIR", str(directory))
    monkeypatch.setattr(index_module, "_BUILT", {})  # as in a new process
    return directory


def _same(one: Index, two: Index) -> bool:
    return all(getattr(one, f.name) == getattr(two, f.name) for f in fields(Index))


def test_an_index_read_back_is_the_one_built(knowledge: Knowledge, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = index_for(knowledge)
    assert len(list(cache.glob("index-*.marshal"))) == 1
    monkeypatch.setattr(index_module, "_BUILT", {})

    def refuse(_: Knowledge) -> Index:
        raise AssertionError("built again although the cache file was there")

    monkeypatch.setattr(index_module, "build", refuse)
    read = index_for(knowledge)
    assert read is not built and _same(read, built)
    text = "<eva@shop.example>: host mx.shop.example[203.0.113.4] said: 550 5.1.1 user unknown"
    assert Matcher(knowledge).match(text).entry_id == "remote-user-unknown"


def test_a_changed_knowledge_base_gets_an_index_of_its_own(knowledge: Knowledge, tmp_path: Path) -> None:
    copy = tmp_path / "knowledge"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    path = copy / "entries" / "relay-denied.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("signatures = [", 'signatures = [\n    "550 5.7.1 relaying not permitted for you here",', 1), encoding="utf-8")
    changed = load_from(copy)
    assert fingerprint(changed) != fingerprint(knowledge)
    assert fingerprint(load_from(ROOT)) == fingerprint(knowledge)


def test_a_corrupt_cache_file_is_rebuilt(knowledge: Knowledge, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index_for(knowledge)
    (path,) = cache.glob("index-*.marshal")
    path.write_bytes(b"\x00garbage")
    monkeypatch.setattr(index_module, "_BUILT", {})
    assert _same(index_for(knowledge), build(knowledge))
    assert path.read_bytes() != b"\x00garbage"  # written anew


def test_off_keeps_nothing_and_an_unwritable_place_is_no_error(
    knowledge: Knowledge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "_BUILT", {})
    monkeypatch.setenv("MAILMEDIC_CACHE_DIR", "off")
    index_for(knowledge)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setattr(index_module, "_BUILT", {})
    monkeypatch.setenv("MAILMEDIC_CACHE_DIR", str(blocker / "cache"))
    assert index_for(knowledge).idf
    assert list(tmp_path.iterdir()) == [blocker]
