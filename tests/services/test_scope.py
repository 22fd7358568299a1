"""Tenant scoping: each role sees exactly the tickets it may."""

from helpdesk.services.scope import get_visible_client, get_visible_ticket, visible_tickets


def visible_ids(session, user):
    return sorted(t.id for t in session.scalars(visible_tickets(user)))


def test_each_role_sees_exactly_its_share(factory):
    s = factory.session
    acme, globex = factory.client("acme"), factory.client("globex")
    kei, ida = factory.customer(acme), factory.customer(acme)
    a1, a2 = factory.ticket(acme, kei), factory.ticket(acme, ida)
    g1 = factory.ticket(globex)
    assert visible_ids(s, kei) == [a1.id]
    assert visible_ids(s, factory.supervisor(acme)) == [a1.id, a2.id]
    assert visible_ids(s, factory.agent([globex])) == [g1.id]
    assert visible_ids(s, factory.agent(serves_all_clients=True)) == [a1.id, a2.id, g1.id]
    assert visible_ids(s, factory.admin()) == [a1.id, a2.id, g1.id]
    assert visible_ids(s, factory.agent([])) == []


def test_another_clients_ticket_is_simply_not_found(factory):
    s = factory.session
    acme, globex = factory.client(), factory.client()
    ticket = factory.ticket(acme)
    for outsider in (factory.customer(globex), factory.supervisor(globex), factory.agent([globex])):
        assert get_visible_ticket(s, outsider, ticket.id) is None
    assert get_visible_ticket(s, factory.supervisor(acme), ticket.id) is ticket


def test_absurd_ids_find_nothing(factory):
    admin = factory.admin()
    for bad in (0, -1, 2**31, 2**63, 10**30, "1", None, True):
        assert get_visible_ticket(factory.session, admin, bad) is None


def test_an_inactive_user_sees_nothing(factory):
    acme = factory.client()
    factory.ticket(acme)
    admin = factory.admin(active=False)
    assert visible_ids(factory.session, admin) == []


def test_clients_are_visible_to_their_own_people_only(factory):
    s = factory.session
    acme, globex = factory.client("acme"), factory.client("globex")
    assert get_visible_client(s, factory.supervisor(acme), "globex") is None
    assert get_visible_client(s, factory.supervisor(acme), "acme") is acme
    assert get_visible_client(s, factory.agent([globex]), "globex") is globex
    assert get_visible_client(s, factory.customer(globex), "acme") is None
