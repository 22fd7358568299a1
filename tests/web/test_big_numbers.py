"""Numbers beyond the database's INTEGER in addresses and filters answer 404 or nothing, not 500."""

from __future__ import annotations

import pytest

from tests.conftest import login

BEYOND_INT32 = 2**31  # PostgreSQL INTEGER ends at 2**31 - 1


@pytest.mark.parametrize("number", [BEYOND_INT32, 2**62, 2**64])
def test_ticket_pages_answer_404_for_ids_beyond_the_database_integer(
    client, factory, acme, kei, ana, sam, number
):
    login(client, kei)
    assert client.get(f"/c/acme/tickets/{number}").status_code == 404
    client.post("/c/acme/logout")
    login(client, ana)
    assert client.get(f"/agent/tickets/{number}").status_code == 404
    client.post("/logout")
    login(client, sam)
    assert client.get(f"/supervisor/tickets/{number}").status_code == 404


def test_a_reference_search_with_a_huge_number_finds_nothing(client, factory, acme, ana):
    factory.ticket(acme)
    login(client, ana)
    response = client.get(f"/agent/?view=all&view=all&q=acme-{2**40}")
    assert response.status_code == 200
    assert "No tickets match these filters" in response.get_data(as_text=True)
