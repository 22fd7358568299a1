"""Room names, from one helper so emitters and joiners always agree."""


def ticket_room(ticket_id: int) -> str:
    """Everyone allowed to follow the ticket's public thread."""
    return f"ticket:{ticket_id}"


def ticket_staff_room(ticket_id: int) -> str:
    """Agents and admins following the ticket (internal notes go here only)."""
    return f"ticket:{ticket_id}:staff"


def user_room(user_id: int) -> str:
    """One user's sockets (assignments, personal alerts)."""
    return f"user:{user_id}"


def agents_room() -> str:
    """Every connected agent and admin (presence: provider staff only, no client data)."""
    return "agents"


def client_queue_room(client_id: int) -> str:
    """Agents serving one client: that client's queue feed."""
    return f"queue:{client_id}"


def all_queues_room() -> str:
    """Admins and agents serving every client: every queue feed."""
    return "queue:all"


def supervisors_room(client_id: int) -> str:
    """A client's supervisors (tiles, breach alerts)."""
    return f"supervisors:{client_id}"
