"""Schemas of `/admin/provisioning`: the summary of loading a provisioning file."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from helpdesk.schemas.common import Query, Response

Kind = Literal["calendar", "client", "site", "agent", "supervisor", "customer", "admin"]


class ProvisioningQuery(Query):
    """Parameters of `POST /admin/provisioning`."""

    dry_run: bool = Field(
        default=False, description="1: answer what would change, and change nothing."
    )


class ProvisioningCounts(Response):
    """How many entries of one kind the file created, updated or left as they were."""

    created: int
    updated: int
    unchanged: int


class ProvisioningChange(Response):
    """One object the file created or updated (or whose own password it kept)."""

    action: Literal["created", "updated", "kept_password"]
    kind: Kind
    key: str = Field(description="Slug, calendar name, e-mail, or client:e-mail (customers).")
    fields: list[str] = Field(description="The keys an update changed.")
    values: dict[str, dict] | None = Field(
        default=None,
        description="Per changed key, its value before and after (a secret: only that it "
        "changed); the audit log keeps the same.",
    )


class ProvisioningSummary(Response):
    """What loading a provisioning file changed, or would change (dry run)."""

    dry_run: bool
    changed: bool
    counts: dict[str, ProvisioningCounts] = Field(description="Per kind.")
    changes: list[ProvisioningChange]
    lines: list[str] = Field(description="The lines `flask provision` prints.")
