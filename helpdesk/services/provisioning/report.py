"""Provisioning's summary of a run: one line per created or updated object, and tallies."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from helpdesk.services.provisioning.plan import KINDS

ACTIONS = ("created", "updated", "unchanged")


@dataclass
class ProvisioningReport:
    """What a provisioning run changed, one line per created or updated object.

    `items` holds the same changes as data ({"action", "kind", "key", "fields"}) and
    `counts` tallies every entry of the file per kind: created, updated or unchanged.
    """

    changes: list[str] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {kind: dict.fromkeys(ACTIONS, 0) for kind in KINDS}
    )

    @property
    def changed(self) -> bool:
        """Whether anything was written."""
        return bool(self.changes)

    def lines(self) -> list[str]:
        """Printable lines; empty when nothing changed."""
        return list(self.changes)

    def _item(self, action: str, kind: str, key: str, fields: list[str] | tuple = ()) -> None:
        self.items.append({"action": action, "kind": kind, "key": key, "fields": list(fields)})

    def created(self, kind: str, key: str) -> None:
        """Record a new object."""
        self.changes.append(_("created %(kind)s %(key)s", kind=KINDS[kind], key=key))
        self._item("created", kind, key)
        self.counts[kind]["created"] += 1

    def kept_password(self, kind: str, key: str) -> None:
        """Record a password the person has changed since provisioning set it: not reset."""
        self.changes.append(
            _(
                "kept %(kind)s %(key)s's own password (--force-passwords resets it)",
                kind=KINDS[kind],
                key=key,
            )
        )
        self._item("kept_password", kind, key)

    def updated(self, kind: str, key: str, fields: list[str], diff: dict | None = None) -> None:
        """Record changed fields of an existing object (only tallied if none changed); `diff`
        holds their values before and after, where known."""
        if fields:
            self.changes.append(
                _(
                    "updated %(kind)s %(key)s (%(fields)s)",
                    kind=KINDS[kind],
                    key=key,
                    fields=", ".join(fields),
                )
            )
            self._item("updated", kind, key, fields)
            if diff:
                self.items[-1]["values"] = diff
        self.counts[kind]["updated" if fields else "unchanged"] += 1
