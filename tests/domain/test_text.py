"""User text shown to others carries no bidirectional override that could disguise it."""

from helpdesk.domain.text import without_bidi_controls


def test_overrides_and_isolates_are_removed_and_right_to_left_text_is_kept():
    assert without_bidi_controls("\u202egnp.exe") == "gnp.exe"
    assert without_bidi_controls("a\u2066b\u2069c\u202ad\u202c") == "abcd"
    assert without_bidi_controls("مرحبا Kei") == "مرحبا Kei"
