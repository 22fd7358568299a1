"""Authentication-Results headers are read as RFC 8601 writes them (comments, quoted strings,
versions, folding), and only our relay's top-most verdict on the From domain counts."""

from __future__ import annotations

import pytest

from helpdesk.mail.authresults import domain_of, parse_header, sender_proof


def test_a_header_with_comments_versions_and_quoted_strings_is_read_whole():
    value = (
        "mx.Example.ORG (Postfix 3.8) 1; spf=pass (mx.example.org: 192.0.2.1 is allowed "
        '(see "policy"); really) smtp.mailfrom="kim@customer.test"; '
        'dkim/1 = pass reason="good; signature" header.d=customer.test header.b=Ab/c+d==; '
        "dmarc=PASS (p=reject sp=none dis=none) header.from=Customer.Test"
    )
    parsed = parse_header(value)
    assert parsed.authserv_id == "mx.example.org"
    spf, dkim, dmarc = parsed.results
    assert (spf.method, spf.result, spf.props) == (
        "spf",
        "pass",
        {"smtp.mailfrom": "kim@customer.test"},
    )
    assert (dkim.method, dkim.result) == ("dkim", "pass")
    assert dkim.props == {
        "reason": "good; signature",
        "header.d": "customer.test",
        "header.b": "Ab/c+d==",
    }
    assert (dmarc.method, dmarc.result, dmarc.props["header.from"]) == (
        "dmarc",
        "pass",
        "Customer.Test",
    )


@pytest.mark.parametrize(
    "value",
    ["example.org; none", "example.org 1; none", "example.org", "example.org;;", "example.org; x"],
)
def test_a_header_without_results_names_its_author_and_nothing_else(value):
    parsed = parse_header(value)
    assert parsed.authserv_id == "example.org" and parsed.results == ()


@pytest.mark.parametrize(
    "value", ["", "   ", "(only a comment)", "; spf=pass smtp.mailfrom=x.test", "(unclosed"]
)
def test_a_header_without_an_authserv_id_is_none(value):
    assert parse_header(value) is None


def test_an_unclosed_quote_or_comment_does_not_raise():
    assert parse_header('mx.test; spf=pass smtp.mailfrom="kim@customer.test').results[0].props == {
        "smtp.mailfrom": "kim@customer.test"
    }
    assert parse_header("mx.test; spf=pass (unclosed smtp.mailfrom=x.test").results[0].props == {}


def test_a_quoted_authserv_id_and_control_characters_are_read():
    parsed = parse_header('"mx.test"\x00; dmarc=pass\r\n\theader.from=customer.test')
    assert parsed.authserv_id == "mx.test"
    assert parsed.results[0].props == {"header.from": "customer.test"}


@pytest.mark.parametrize(
    "value, domain",
    [
        ("kim@Customer.Test", "customer.test"),
        ("<kim@customer.test>", "customer.test"),
        ("customer.test.", "customer.test"),
        ("", ""),
        (None, ""),
    ],
)
def test_the_domain_of_an_address_or_a_bare_domain(value, domain):
    assert domain_of(value) == domain


OURS = "mx.helpdesk.test"


def proof(*headers, from_domain="customer.test", authserv_id=OURS):
    return sender_proof(list(headers), authserv_id=authserv_id, from_domain=from_domain)


def test_dmarc_pass_for_the_from_domain_counts_before_spf():
    both = f"{OURS}; spf=pass smtp.mailfrom=customer.test; dmarc=pass header.from=customer.test"
    assert proof(both) == "dmarc"
    assert proof(f"{OURS}; spf=pass smtp.mailfrom=bounce@customer.test") == "spf"


@pytest.mark.parametrize(
    "header",
    [
        f"{OURS}; spf=pass smtp.mailfrom=bounce.customer.test",  # a subdomain: not the same
        f"{OURS}; spf=pass smtp.helo=customer.test",
        f"{OURS}; spf=softfail smtp.mailfrom=customer.test",
        f"{OURS}; dmarc=pass",  # no header.from: which domain?
        f"{OURS}; dmarc=pass header.from=customer.test.evil.test",
        f"{OURS}; dkim=pass header.d=customer.test",
        "mx.other.test; dmarc=pass header.from=customer.test",
    ],
)
def test_anything_else_vouches_for_nothing(header):
    assert proof(header) is None


def test_the_top_most_header_of_our_relay_decides_and_others_are_skipped():
    theirs = "mx.other.test; dmarc=pass header.from=customer.test"
    fail = f"{OURS}; dmarc=fail header.from=customer.test"
    ok = f"{OURS.upper()}; dmarc=pass header.from=customer.test"
    assert proof(theirs, ok, fail) == "dmarc"
    assert proof(theirs, fail, ok) is None


def test_nothing_counts_without_an_authserv_id_or_a_from_domain():
    ok = f"{OURS}; dmarc=pass header.from=customer.test"
    assert proof(ok, authserv_id="") is None
    assert proof(ok, from_domain="") is None
