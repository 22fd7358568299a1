"""A ticket's signed reply address: made from the inbound address, the ticket and the person
the mail went to, and proving exactly that ticket and person, whatever the case."""

from __future__ import annotations

import pytest

from helpdesk.domain.reply_tags import MAC_CHARS, proves, read_tag, tagged_address

KEY = "a-test-secret"


def tag(inbound="support@acme.test", ticket_id=17, user_id=4, secret=KEY) -> str:
    return tagged_address(inbound, secret=secret, ticket_id=ticket_id, user_id=user_id)


def check(address, inbound="support@acme.test", ticket_id=17, user_id=4) -> bool:
    tag_ = read_tag(address)
    return proves(tag_, secret=KEY, inbound=inbound, ticket_id=ticket_id, user_id=user_id)


def test_the_tag_goes_in_the_local_part_of_the_inbound_address():
    address = tag()
    local, domain = address.split("@")
    assert domain == "acme.test" and local.startswith("support+t17.")
    assert len(local.split(".")[-1]) == MAC_CHARS and len(local) <= 64
    assert address == tag()  # the same for every mail of this ticket to this person


def test_it_proves_its_ticket_and_person_in_any_case():
    assert check(tag())
    assert check(tag().upper())
    assert check(f"<{tag()}>")
    assert check(tag(inbound="Support@ACME.test"))


@pytest.mark.parametrize(
    "address, why",
    [
        (tag(ticket_id=18), "another ticket's tag"),
        (tag(user_id=5), "another person's tag"),
        (tag(inbound="help@globex.test"), "another client's tag"),
        (tag(secret="another key"), "a tag made with another key"),
        (tag().replace("+t17.", "+t18."), "the ticket id changed"),
        ("support@acme.test", "no tag"),
        ("support+t17.short@acme.test", "a malformed tag"),
        ("", "nothing"),
    ],
)
def test_nothing_else_proves_it(address, why):
    assert not check(address), why


def test_an_inbound_address_with_a_plus_of_its_own_keeps_it():
    address = tag(inbound="help+acme@provider.test")
    assert read_tag(address).base == "help+acme@provider.test"
    assert check(address, inbound="help+acme@provider.test")


def test_an_empty_secret_proves_nothing():
    assert not proves(
        read_tag(tag(secret="")), secret="", inbound="support@acme.test", ticket_id=17, user_id=4
    )
