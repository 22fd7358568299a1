"""Locale codes are normalised the way people write them."""

import pytest

from helpdesk.i18n import normalize_locale


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("pt-BR", "pt_BR"),
        ("pt_br", "pt_BR"),
        ("EN-us", "en_US"),
        ("ja", "ja"),
        ("tl", "tl"),
        ("zh-Hant-TW", "zh_Hant_TW"),
        ("de-AT", "de_AT"),
    ],
)
def test_known_locales_keep_their_spelling_in_posix_form(given, expected):
    assert normalize_locale(given) == expected


@pytest.mark.parametrize("bad", ["", "xx", "1x", "english", None, "e" * 40])
def test_unknown_locales_are_none(bad):
    assert normalize_locale(bad) is None
