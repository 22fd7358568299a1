"""Brand colours: only #rrggbb, and only those white text stays readable on (WCAG AA)."""

from helpdesk.domain import colors


def test_a_colour_is_six_hex_digits_after_a_hash():
    assert colors.normalize(" #1D5FC4 ") == "#1d5fc4"
    for bad in ("1d5fc4", "#1d5fc", "#1d5fc4ff", "blue", "#ggg000", ""):
        assert colors.normalize(bad) is None


def test_contrast_follows_wcag():
    assert round(colors.contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(colors.contrast("#777777", "#ffffff"), 2) == 4.48  # just short of AA
    assert colors.contrast("#1d5fc4", colors.WHITE) >= colors.MIN_CONTRAST
    assert colors.contrast("#ffcc00", colors.WHITE) < colors.MIN_CONTRAST


def test_the_shades_of_an_accent_are_darker_and_paler():
    shades = colors.shades("#1d5fc4")
    assert shades["primary"] == "#1d5fc4"
    assert colors.luminance(shades["primary-hover"]) < colors.luminance("#1d5fc4")
    assert colors.luminance(shades["primary-soft"]) > 0.8
