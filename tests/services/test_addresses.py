"""E-mail addresses are checked and spelled one way everywhere."""

import pytest

from helpdesk.services.addresses import BadAddress, normalize_email


def test_addresses_are_trimmed_and_lower_cased():
    assert normalize_email("  Kei@Example.JP ") == "kei@example.jp"


def test_test_domains_are_allowed_for_demo_and_staging_worlds():
    assert normalize_email("sam@acme.test") == "sam@acme.test"


@pytest.mark.parametrize(
    "bad", ["", "   ", "no-at-sign", "a@b", "a@@b.com", None, 3, "x" * 250 + "@a.com"]
)
def test_malformed_addresses_are_refused(bad):
    with pytest.raises(BadAddress):
        normalize_email(bad)
