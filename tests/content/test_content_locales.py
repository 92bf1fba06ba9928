"""Both locales are complete: every UI key the code uses exists as text in each."""

from __future__ import annotations

import re

import pytest

from bot.engine import Catalog
from tests.conftest import REPO

CALL = re.compile(r"""\b(?:ui|plain)\(\s*(?:f?)["']([a-z_.{}]+)["']""")


def _keys_used_by_code() -> set[str]:
    keys: set[str] = set()
    for path in (REPO / "bot").rglob("*.py"):
        for key in CALL.findall(path.read_text(encoding="utf-8")):
            keys.add(key)
    return keys


def _lookup(tree: dict, key: str) -> object:
    node: object = tree
    for part in key.split("."):
        assert isinstance(node, dict), key
        node = node.get(part)
    return node


def test_code_uses_ui_keys() -> None:
    """The scan finds the keys (so the test below checks something)."""
    assert {"errors.{code}", "question.progress", "menu.title"} <= _keys_used_by_code()


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_every_ui_key_exists(real_catalog: Catalog, locale: str) -> None:
    ui = real_catalog.ui[locale]
    for key in sorted(_keys_used_by_code()):
        if key.startswith("{"):  # fully dynamic: see test_ui_questions_exist
            continue
        if "{" in key:  # a family such as errors.{code} or checkins.item_{state}
            section = key[: key.index("{")].rsplit(".", 1)[0]
            assert isinstance(_lookup(ui, section), dict), key
            continue
        assert isinstance(_lookup(ui, key), str), f"{locale}: {key}"


@pytest.mark.parametrize("code", ["yes", "no"])
def test_yes_and_no_labels_are_words(real_catalog: Catalog, code: str) -> None:
    assert isinstance(real_catalog.ui["en"]["question"][code], str)
    assert isinstance(real_catalog.ui["zh"]["question"][code], str)


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_ui_questions_exist(real_catalog: Catalog, locale: str) -> None:
    """The consent and delete questions: a prompt and a label per option, in each language."""
    from bot.coach.account import CONSENT_OPTIONS, DELETE_OPTIONS

    ui = real_catalog.ui[locale]
    for section, options in (("consent", CONSENT_OPTIONS), ("delete", DELETE_OPTIONS)):
        for key in ("ask", *options):
            assert isinstance(_lookup(ui, f"{section}.{key}"), str), f"{locale}: {section}.{key}"
