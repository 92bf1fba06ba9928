"""The callback-data scheme: every button decodes back to what it meant, within 64 bytes."""

from __future__ import annotations

import pytest

from bot.adapters.telegram.keyboards import (
    BadCallback,
    ButtonWords,
    Toggle,
    decode,
    keyboard,
    toggled,
)
from bot.models import Option, OutMessage, Tapped

WORDS = ButtonWords(back="Back", skip="Skip", done="Done")


def _data(message: OutMessage) -> list[str]:
    markup = keyboard(message, WORDS)
    assert markup is not None
    return [b.callback_data for row in markup.inline_keyboard for b in row]  # type: ignore[misc]


def test_question_buttons_carry_run_step_and_position() -> None:
    message = OutMessage(type="question", text="?", kind="choice", step="stage", run_id=42,
                         options=[Option(id="idea", label="Idea"), Option(id="mvp", label="MVP")],
                         can_back=True, can_skip=True)  # fmt: skip
    assert _data(message) == ["q:42:stage:0", "q:42:stage:1", "b:42:stage", "s:42:stage"]
    assert decode("q:42:stage:1") == Tapped(run_id=42, step="stage", indexes=(1,))
    assert decode("b:42:stage") == Tapped(run_id=42, step="stage", action="back")


def test_multi_choice_toggles_and_done_carry_the_selection() -> None:
    options = [Option(id=f"o{i}", label=f"L{i}", selected=i == 2) for i in range(4)]
    message = OutMessage(
        type="question", text="?", kind="multi", step="roles", run_id=7, options=options
    )
    markup = keyboard(message, WORDS)
    assert markup is not None
    assert _data(message)[-1] == "d:7:roles:4"  # bit 2 set
    tap = decode("t:7:roles:0:4")
    assert tap == Toggle(7, "roles", 0, 4)
    after = toggled(markup, tap, WORDS)
    labels = [row[0].text for row in after.inline_keyboard]
    assert labels == ["✓ L0", "L1", "✓ L2", "L3", "Done"]
    assert decode(after.inline_keyboard[-1][0].callback_data) == Tapped(  # type: ignore[arg-type]
        run_id=7, step="roles", indexes=(0, 2)
    )


def test_checkin_management_buttons() -> None:
    options = [Option(id="later:12", label="Later"), Option(id="cancel:12", label="Cancel")]
    message = OutMessage(type="message", text="x", step="checkins", options=options)
    assert _data(message) == ["k:later:12", "k:cancel:12"]
    assert decode("k:cancel:12") == Tapped(run_id=None, step="checkins", option_ids=("cancel:12",))


@pytest.mark.parametrize(
    "data",
    [
        "",
        "x",
        "q:1:stage",
        "q:1:Stage:0",
        "q:-1:stage:0",
        "t:1:s:0",
        "k:explode:1",
        "m:1234",
        "q:1:s:0:0",
    ],
)
def test_malformed_data_is_refused(data: str) -> None:
    with pytest.raises(BadCallback):
        decode(data)


def test_long_step_ids_still_fit_64_bytes() -> None:
    step = "s" * 32
    message = OutMessage(type="question", text="?", kind="multi", step=step, run_id=10**11,
                         options=[Option(id=f"o{i}", label="x") for i in range(40)])  # fmt: skip
    assert all(len(d.encode()) <= 64 for d in _data(message))


def test_a_forged_toggle_mask_or_overlong_ids_are_refused_cleanly() -> None:
    """Audit #20: a forged `t:` with a 64-bit mask or 32-char step is a BadCallback, not a
    ValueError in the handler; a forged mask never ticks buttons that are not there."""
    options = [Option(id=f"o{i}", label=f"L{i}") for i in range(3)]
    message = OutMessage(type="question", text="?", kind="multi", step="roles", run_id=7,
                         options=options)  # fmt: skip
    markup = keyboard(message, WORDS)
    assert markup is not None
    after = toggled(markup, Toggle(7, "roles", 0, 0xFFFFFFFFFFFFFFFE), WORDS)
    assert [row[0].text for row in after.inline_keyboard] == ["✓ L0", "✓ L1", "✓ L2", "Done"]
    forged = toggled(markup, Toggle(123456789012, "s" * 32, 0, 0xFFFFFFFFFFFFFFFF), WORDS)
    data = [b.callback_data for row in forged.inline_keyboard for b in row]
    assert all(len(str(d).encode()) <= 64 for d in data)
