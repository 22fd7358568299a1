"""Every language's catalog is complete, clean and compiled from its current .po."""

from __future__ import annotations

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from config import Config
from tests.i18n.catalogs import (
    TRANSLATIONS,
    catalog_problems,
    compile_stale,
    compiled,
    extract,
    po_path,
    read,
    stale_catalogs,
)

LANGUAGES = [code for code in Config.LANGUAGES if code != "en"]


@pytest.fixture(scope="module")
def fresh_template(tmp_path_factory):
    """What `make extract-messages` would write now."""
    return extract(tmp_path_factory.mktemp("pot") / "messages.pot")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalog_translates_every_string_of_a_fresh_extraction(language, fresh_template):
    path = po_path(language)
    if not path.exists():
        pytest.skip(f"no catalog for {language} yet ({path.relative_to(path.parents[3])})")
    assert catalog_problems(fresh_template, read(path, language)) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_matches_its_po(language):
    path = po_path(language)
    if not path.exists():
        pytest.skip(f"no catalog for {language} yet")
    mo = path.with_suffix(".mo")
    assert mo.exists(), "run `make translations`"
    assert mo.read_bytes() == compiled(path, language), "stale: run `make translations`"


def test_the_committed_template_is_the_fresh_extraction(fresh_template):
    committed = read(TRANSLATIONS / "messages.pot")
    assert {m.id for m in committed if m.id} == {m.id for m in fresh_template if m.id}, (
        "run `make extract-messages` and commit translations/messages.pot"
    )


# The checks themselves, on small catalogs in a temporary directory.


def _template() -> Catalog:
    template = Catalog()
    template.add("Saved.")
    template.add("Hello %(name)s", flags=("python-format",))
    template.add(("%(num)d ticket", "%(num)d tickets"), flags=("python-format",))
    return template


def _catalog(tmp_path, entries) -> Catalog:
    catalog = Catalog(locale="de")
    for msgid, string, flags in entries:
        catalog.add(msgid, string, flags=flags)
    path = tmp_path / "de" / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        write_po(handle, catalog)
    return read(path, "de")


COMPLETE = [
    ("Saved.", "Gespeichert.", ()),
    ("Hello %(name)s", "Hallo %(name)s", ("python-format",)),
    (
        ("%(num)d ticket", "%(num)d tickets"),
        ("%(num)d Ticket", "%(num)d Tickets"),
        ("python-format",),
    ),
]


def test_a_complete_catalog_has_no_problems(tmp_path):
    assert catalog_problems(_template(), _catalog(tmp_path, COMPLETE)) == []


def test_a_missing_an_empty_or_a_fuzzy_translation_is_a_problem(tmp_path):
    entries = [
        ("Saved.", "", ()),
        ("Hello %(name)s", "Hallo %(name)s", ("python-format", "fuzzy")),
    ]
    problems = catalog_problems(_template(), _catalog(tmp_path, entries))
    assert problems == [
        "untranslated: 'Saved.'",
        "fuzzy: 'Hello %(name)s'",
        "missing: '%(num)d ticket'",
    ]


def test_a_wrong_placeholder_or_an_empty_plural_form_is_a_problem(tmp_path):
    entries = [
        COMPLETE[0],
        ("Hello %(name)s", "Hallo %(nom)s", ("python-format",)),
        (("%(num)d ticket", "%(num)d tickets"), ("%(num)d Ticket", ""), ("python-format",)),
    ]
    problems = catalog_problems(_template(), _catalog(tmp_path, entries))
    assert "untranslated: '%(num)d ticket'" in problems
    assert any("nom" in p and "Hello" in p for p in problems), problems


def test_a_stale_or_missing_mo_is_found_and_compiled(tmp_path):
    _catalog(tmp_path, COMPLETE)
    po = po_path("de", root=tmp_path)
    assert stale_catalogs(tmp_path) == [po.with_suffix(".mo")]
    assert compile_stale(tmp_path) == [po.with_suffix(".mo")]
    assert stale_catalogs(tmp_path) == []

    po.write_text(po.read_text().replace("Gespeichert.", "Erledigt."))
    assert stale_catalogs(tmp_path) == [po.with_suffix(".mo")]
