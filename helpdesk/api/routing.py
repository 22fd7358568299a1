"""API routing: who would get a ticket (preview), and hourly coverage of a week."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import jsonify
from flask_babel import gettext as _

from helpdesk.api import bp
from helpdesk.api.openapi import operation
from helpdesk.api.parsing import parse_query
from helpdesk.api.principal import current_user
from helpdesk.describe import routing_reason
from helpdesk.domain.routing import FIT_NAMES
from helpdesk.extensions import db
from helpdesk.i18n import normalize_locale
from helpdesk.schemas import CoverageQuery, CoverageWeek, RoutingPreview, RoutingPreviewQuery
from helpdesk.serializers import iso
from helpdesk.services import routing
from helpdesk.services.errors import NotFound, ValidationFailed
from helpdesk.services.scope import get_visible_client

CANDIDATES_SHOWN = 50


def _client_and_locale(user, slug: str, locale: str):
    client = get_visible_client(db.session, user, slug)
    if client is None:
        raise NotFound(_("No such client."))
    code = normalize_locale(locale)
    if code is None:
        raise ValidationFailed(
            _("The request has invalid fields."), fields={"locale": _("Unknown locale.")}
        )
    return client, code


@bp.get("/routing/preview")
@operation(
    summary="Who would get a ticket, and why.",
    description="Without `at`: now, with live presence and load. With `at`: planned from "
    "shifts, languages, skills and client permissions alone. Agents and admins.",
    query=RoutingPreviewQuery,
    responses={200: RoutingPreview},
    errors=(403, 404, 422),
)
def routing_preview():
    """Run the routing decision without storing anything."""
    user = current_user("agent", "admin")
    query = parse_query(RoutingPreviewQuery)
    client, locale = _client_and_locale(user, query.client, query.locale)
    decision = routing.preview(
        db.session,
        client=client,
        locale=locale,
        skill=query.skill,
        priority=query.priority,
        at=query.at,
        now=datetime.now(UTC),
    )
    summary = decision.summary()
    agent = decision.agent
    return jsonify(
        agent={"id": agent.id, "name": agent.name, "site": agent.site} if agent else None,
        site=decision.site,
        expected_pickup_at=iso(decision.expected_pickup_at),
        live=decision.live,
        reason=routing_reason({"code": decision.reason, "params": decision.reason_params}),
        reason_code=decision.reason,
        eligible=summary["eligible"],
        considered=summary["considered"],
        rejected=summary["rejected"],
        candidates=[
            {
                "id": v.agent.id,
                "name": v.agent.name,
                "site": v.agent.site,
                "load": v.agent.load,
                "capacity": v.agent.capacity,
                "eligible": v.eligible,
                "language_fit": FIT_NAMES.get(v.language_fit),
                "rejections": list(v.rejections),
            }
            for v in decision.candidates[:CANDIDATES_SHOWN]
        ],
    )


@bp.get("/coverage")
@operation(
    summary="Hourly coverage of a client and locale over one week.",
    description="A slot is covered when, at its start, some agent serving the client and "
    "speaking the locale is on shift. Agents, admins, and supervisors of the client.",
    query=CoverageQuery,
    responses={200: CoverageWeek},
    errors=(403, 404, 422),
)
def coverage():
    """168 hourly slots from `week_of` 00:00 UTC, and the merged gaps."""
    user = current_user("agent", "admin", "supervisor")
    query = parse_query(CoverageQuery)
    client, locale = _client_and_locale(user, query.client, query.locale)
    if query.week_of.weekday() != 0:
        raise ValidationFailed(
            _("The request has invalid fields."), fields={"week_of": _("Give a Monday.")}
        )
    week = routing.coverage(db.session, client=client, locale=locale, week_of=query.week_of)
    return jsonify(
        client=client.slug,
        locale=locale,
        week_of=query.week_of.isoformat(),
        slots=[
            {"start": iso(s.start), "sites": list(s.sites), "agents": s.agents} for s in week.slots
        ],
        gaps=[{"start": iso(a), "end": iso(b)} for a, b in week.gaps],
    )
