"""The real onboarding flow and UI strings render in both languages and every target.

Only onboarding is copied (with ui.yaml), so the coaching flows being written elsewhere
cannot break these tests.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest
import yaml
from jinja2 import Environment, meta

from bot.catalog import check_catalog
from bot.engine import Catalog
from bot.rendering import Renderer, Target
from bot.rendering.check import telegram_html_problems
from tests.engine.flowkit import LOCALES, REPO

# Sample values for the parameters of UI strings; any other parameter gets SAMPLE_NUMBER.
UI_SAMPLES: dict[str, Any] = {
    "name": "Ada <& Co>",
    "title": "Funding",
    "status": "not started",
    "date": "2026-03-02",
    "value": "Acme AI",
    "question": "Name",
    "answer": "Ada",
    "example": "2026-03-09",
    "month_first": "2026-12-01",
    "day_first": "2027-01-12",
    "question_key": "onboarding.stage",
    "option": "idea",
    "unit": "money",
    "command": "/foo",
    "why": "You said so.",
    "reason": "Fine.",
    "zone": "Etc/GMT+3",
    "rate": 0.5,
    "gaps": ["/update: this week's key metric", "/funding: cash <and> burn"],
}
SAMPLE_NUMBER = 3
_PARSER = Environment()
FILTERS = ("money", "num", "months", "pct", "label", "day", "zone")
_PARSER.filters.update(dict.fromkeys(FILTERS, str))


def ui_context(source: str) -> dict[str, Any]:
    """A value for every variable a UI template reads."""
    names = meta.find_undeclared_variables(_PARSER.parse(source))
    return {name: UI_SAMPLES.get(name, SAMPLE_NUMBER) for name in names}


def _read(*parts: str) -> Any:
    return yaml.safe_load(REPO.joinpath(*parts).read_text(encoding="utf-8"))


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if not isinstance(data, dict):
        return [prefix]
    return [path for key, value in data.items() for path in _paths(value, (*prefix, key))]


def _ui_keys() -> list[tuple[str, str]]:
    """(locale, dotted key) of every UI string whose key path is made of strings."""
    return [
        (locale, ".".join(path))
        for locale in LOCALES
        for path in _paths(_read("content", locale, "ui.yaml"))
        if all(isinstance(part, str) for part in path)
    ]


def _onboarding_templates() -> list[tuple[str, str]]:
    """(locale, key) of every template in the onboarding content."""
    found = []
    for locale in LOCALES:
        words = _read("content", locale, "onboarding.yaml")
        found += [(locale, key) for key in ("title", "description", "intro", "done")]
        for step_id, step in words["steps"].items():
            found += [(locale, f"steps.{step_id}.{key}") for key in ("prompt", "hint", "short")
                      if step.get(key)]  # fmt: skip
    return found


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    root = tmp_path_factory.mktemp("real")
    (root / "flows").mkdir()
    shutil.copy(REPO / "flows" / "onboarding.yaml", root / "flows" / "onboarding.yaml")
    for locale in LOCALES:
        (root / "content" / locale).mkdir(parents=True)
        for name in ("onboarding.yaml", "ui.yaml"):
            shutil.copy(REPO / "content" / locale / name, root / "content" / locale / name)
    loaded, problems = check_catalog(root / "flows", root / "content")
    assert problems == []
    return loaded


@pytest.fixture(scope="module")
def renderer(catalog: Catalog) -> Renderer:
    return Renderer(catalog)


def test_real_onboarding_passes_the_checks(catalog: Catalog) -> None:
    """The real onboarding flow and UI strings load and check without problems."""
    assert (sorted(catalog.flows), catalog.problems) == (["onboarding"], [])


@pytest.mark.parametrize(("locale", "key"), _onboarding_templates())
@pytest.mark.parametrize("target", list(Target))
def test_onboarding_template_renders(
    catalog: Catalog, renderer: Renderer, locale: str, key: str, target: Target
) -> None:
    """Each onboarding template renders with the preview facts to valid Telegram HTML."""
    node: Any = catalog.flows["onboarding"].texts[locale].model_dump()
    for part in key.split("."):
        node = node[part]
    facts = catalog.flows["onboarding"].spec.preview
    text = renderer.render(node, facts, locale=locale, target=target)
    problems = telegram_html_problems(text) if target is Target.HTML else []
    assert (bool(text.strip()), problems) == (True, [])


@pytest.mark.parametrize("locale", LOCALES)
def test_onboarding_prompt_escapes_the_startup_name(
    catalog: Catalog, renderer: Renderer, locale: str
) -> None:
    """A startup name with markup is escaped inside the bold pitch prompt."""
    source = catalog.flows["onboarding"].texts[locale].steps["pitch"].prompt
    facts = {"onboarding": {"startup": "<i>Acme</i> & **Co**"}}
    text = renderer.render(source, facts, locale=locale, target=Target.HTML)
    assert (
        "<b>&lt;i&gt;Acme&lt;/i&gt; &amp; **Co**</b>" in text,
        telegram_html_problems(text),
    ) == (
        True,
        [],
    )


@pytest.mark.parametrize(("locale", "key"), _ui_keys())
@pytest.mark.parametrize("target", list(Target))
def test_ui_string_renders(renderer: Renderer, locale: str, key: str, target: Target) -> None:
    """Each UI string renders with its parameters, to valid Telegram HTML."""
    context = ui_context(renderer.ui_source(key, locale))
    text = renderer.ui(key, locale, target, **context)
    problems = telegram_html_problems(text) if target is Target.HTML else []
    assert (bool(text.strip()), problems) == (True, [])


@pytest.mark.parametrize(
    ("locale", "key", "expected"),
    [("en", "question.yes", "Yes"), ("en", "question.no", "No"),
     ("zh", "question.yes", "是"), ("zh", "question.no", "否")],
)  # fmt: skip
def test_yes_no_labels_render(renderer: Renderer, locale: str, key: str, expected: str) -> None:
    """The yes and no labels of yes/no questions exist in both languages (keys quoted)."""
    assert renderer.ui(key, locale, Target.PLAIN) == expected


@pytest.mark.parametrize("locale", LOCALES)
def test_ui_has_only_string_keys(locale: str) -> None:
    """Every key in ui.yaml is a string (YAML turns bare yes/no/on/off into booleans)."""
    paths = _paths(_read("content", locale, "ui.yaml"))
    assert [path for path in paths if not all(isinstance(part, str) for part in path)] == []
