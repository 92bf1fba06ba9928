"""The word match behind short option names: the same as re's ``\\b`` search, without a
pattern compiled for every typed answer (issue #14: a flood of distinct texts)."""

from __future__ import annotations

import contextlib
import re

from hypothesis import given
from hypothesis import strategies as st

from bot.engine import inputs
from bot.engine.inputs import contains_word

# letters, digits, the underscore, spaces, punctuation, Chinese and accented letters
_ALPHABET = st.sampled_from([*"ab_1 -/.:（中文é", "\u0663", "\u00b2"])


@given(text=st.text(_ALPHABET, max_size=12), word=st.text(_ALPHABET, min_size=1, max_size=4))
def test_contains_word_agrees_with_re(text: str, word: str) -> None:
    expected = re.search(rf"\b{re.escape(word)}\b", text) is not None
    assert contains_word(text, word) is expected


def test_contains_word_examples() -> None:
    assert contains_word("pilot or mvp", "mvp")
    assert not contains_word("pilots", "pilot")
    assert contains_word("b2b saas", "b2b")
    assert not contains_word("", "agent")


def test_labels_are_keyed_once_however_many_answers_are_typed() -> None:
    """Typing many different texts at a choice keys each label once, not once a text."""
    inputs._label_key.cache_clear()
    labels = {"a": ("Prototype: a demo that works",), "b": ("Pilot or MVP",)}
    for index in range(50):
        with contextlib.suppress(inputs.InvalidAnswer):
            inputs.match_option(f"spam {index} xxxx", ("a", "b"), labels)
    info = inputs._label_key.cache_info()
    assert info.misses == 2
    assert info.hits >= 50
