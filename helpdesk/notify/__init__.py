"""Adapters through which services tell the world what changed, after they commit: live pushes
over Socket.IO (`publish`, with the room names in `rooms`) and outgoing mail (`outbound`, sent
through `smtp`). Nothing here is an entrypoint; services call down into it."""
