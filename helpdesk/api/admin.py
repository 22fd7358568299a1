"""API admin: the whole world as a provisioning file, out (GET) and in (POST)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, current_app, jsonify, request
from flask_babel import gettext as _

from helpdesk.api import bp
from helpdesk.api.openapi import operation
from helpdesk.api.parsing import UnsupportedMediaType, parse_query
from helpdesk.api.principal import current_user
from helpdesk.extensions import db
from helpdesk.schemas import ProvisioningQuery, ProvisioningSummary
from helpdesk.services.errors import ValidationFailed
from helpdesk.services.provisioning import ProvisioningError, parse_yaml, provision
from helpdesk.services.provisioning.export import export_yaml

YAML = "application/yaml"
# What a provisioning body may be sent as (curl --data-binary sends text/plain if told to).
BODY_TYPES = (YAML, "text/yaml", "application/x-yaml", "text/plain")
# A large world (thousands of people) fits; config PROVISIONING_MAX_BYTES overrides it.
PROVISIONING_MAX_BYTES = 2 * 1024 * 1024


@bp.get("/admin/provisioning")
@operation(
    summary="The whole current world as a provisioning file (admins).",
    description=(
        "Calendars, clients with their SLA targets, sites and shifts, and every person who "
        "can sign in, in the format `flask provision` loads. No passwords, intake tokens or "
        "second factors; deactivated people and unconfirmed portal registrations are left "
        "out. Loaded into an empty database and exported again, it gives the same bytes."
    ),
    responses={200: None},
    media={200: YAML},
    errors=(403,),
)
def export_provisioning():
    """Export the world as provisioning YAML."""
    current_user("admin")
    response = Response(export_yaml(db.session), content_type=f"{YAML}; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"  # it lists every person's address
    return response


@bp.post("/admin/provisioning")
@operation(
    summary="Load a provisioning file, as `flask provision` does (admins).",
    description=(
        "The body is a provisioning YAML file (`application/yaml`, `text/yaml` or "
        "`text/plain`). It is checked whole, then applied in one transaction: all or "
        "nothing, audited as the calling admin. `dry_run=1` answers what would change and "
        "changes nothing. Anchors and aliases are refused (write the values out). A refused "
        "file is 422 with each problem under its path in the file (e.g. "
        "`clients[0].sla.urgent`), or under `body` for the file as a whole."
    ),
    query=ProvisioningQuery,
    body_media=BODY_TYPES,
    responses={200: ProvisioningSummary},
    errors=(403, 413, 415, 422),
)
def load_provisioning():
    """Validate and apply (or try out) a provisioning file."""
    admin = current_user("admin")
    query = parse_query(ProvisioningQuery)
    text = _yaml_body()
    try:
        report = provision(
            db.session,
            parse_yaml(text, source="body", aliases=False),
            now=datetime.now(UTC),
            actor=admin,
            dry_run=query.dry_run,
        )
    except ProvisioningError as exc:
        raise ValidationFailed(
            _("The provisioning file was refused; nothing was changed."), fields=_fields(exc)
        ) from None
    return jsonify(
        dry_run=query.dry_run,
        changed=report.changed,
        counts=report.counts,
        changes=report.items,
        lines=report.lines(),
    )


def _yaml_body() -> str:
    """The request body as text: 415 for another media type, 413 past the limit."""
    if request.mimetype not in BODY_TYPES:
        raise UnsupportedMediaType(
            _("Send the provisioning file with Content-Type: application/yaml.")
        )
    # Over the limit, reading raises 413, which the app's handler answers in the API shape.
    request.max_content_length = current_app.config.get(
        "PROVISIONING_MAX_BYTES", PROVISIONING_MAX_BYTES
    )
    try:
        return request.get_data(cache=True).decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed(
            _("The provisioning file was refused; nothing was changed."),
            fields={"body": _("The body must be UTF-8 text.")},
        ) from None


def _fields(exc: ProvisioningError) -> dict[str, str]:
    """Each problem under its path in the file; problems of the whole file under `body`."""
    fields: dict[str, str] = {}
    for path, message in exc.problems:
        fields[path] = f"{fields[path]} {message}" if path in fields else str(message)
    if not exc.problems:
        fields["body"] = " ".join(exc.errors)
    return fields
