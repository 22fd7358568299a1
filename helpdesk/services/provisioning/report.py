"""Provisioning's summary of a run: one line per created or updated object."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from helpdesk.services.provisioning.plan import KINDS


@dataclass
class ProvisioningReport:
    """What a provisioning run changed, one line per created or updated object."""

    changes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything was written."""
        return bool(self.changes)

    def lines(self) -> list[str]:
        """Printable lines; empty when nothing changed."""
        return list(self.changes)

    def created(self, kind: str, key: str) -> None:
        """Record a new object."""
        self.changes.append(_("created %(kind)s %(key)s", kind=KINDS[kind], key=key))

    def kept_password(self, kind: str, key: str) -> None:
        """Record a password the person has changed since provisioning set it: not reset."""
        self.changes.append(
            _(
                "kept %(kind)s %(key)s's own password (--force-passwords resets it)",
                kind=KINDS[kind],
                key=key,
            )
        )

    def updated(self, kind: str, key: str, fields: list[str]) -> None:
        """Record changed fields of an existing object (nothing if none changed)."""
        if fields:
            self.changes.append(
                _(
                    "updated %(kind)s %(key)s (%(fields)s)",
                    kind=KINDS[kind],
                    key=key,
                    fields=", ".join(fields),
                )
            )
