"""The coverage page's form and rendering, shared by the agents' and supervisors' pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import abort, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from helpdesk.extensions import db
from helpdesk.models import Client
from helpdesk.services import routing
from helpdesk.web.coverage_grid import coverage_grid, monday_of
from helpdesk.web.forms import Form
from helpdesk.web.ticket_page import language_name, names_of_sites


class CoverageForm(Form):
    """The coverage page's choices (GET): client, language and week."""

    class Meta:
        csrf = False  # a GET form: it changes nothing

    client = SelectField(_l("Client"), choices=[], validate_choice=True)
    locale = SelectField(_l("Language"), choices=[], validate_choice=True)
    week = DateField(_l("Week of"), validators=[Optional()])


def render_coverage(clients: list[Client], *, endpoint: str, pick_client: bool):
    """The coverage page for one of `clients` (?client=slug; another slug is 404).

    Language and week come from the query string; a bad value is reported and the
    default used: the client's default locale, the viewer's current week.
    """
    slug = request.args.get("client", "")
    client = next((c for c in clients if c.slug == slug), None) if slug else None
    if slug and client is None:
        abort(404)
    client = client or (clients[0] if clients else None)
    form = CoverageForm(request.args)
    zone = str(get_timezone())
    today = datetime.now(UTC).astimezone(get_timezone()).date()
    if client is None:
        return render_template("agent/coverage.html", client=None, form=form, zone=zone)
    views, _sites = routing.agent_views(db.session, client_id=client.id)
    codes = sorted({client.default_locale, *(code for v in views for code in v.languages)})
    form.client.choices = [(c.slug, c.name) for c in clients]
    form.client.data = client.slug
    form.locale.choices = [(code, f"{language_name(code)} ({code})") for code in codes]
    if not request.args.get("locale"):
        form.locale.data = client.default_locale
    form.validate()
    locale = client.default_locale if form.locale.errors else form.locale.data
    week = form.week.data if not form.week.errors and form.week.data else today
    monday = monday_of(week)
    grid = coverage_grid(
        views,
        client_id=client.id,
        locale=locale,
        monday=monday,
        zone=zone,
        site_names=names_of_sites({v.site for v in views if v.site}),
    )
    args = {"locale": locale} | ({"client": client.slug} if pick_client else {})
    return render_template(
        "agent/coverage.html",
        client=client,
        form=form,
        pick_client=pick_client and len(clients) > 1,
        endpoint=endpoint,
        grid=grid,
        locale=locale,
        language=language_name(locale),
        zone=zone,
        this_week=monday_of(today),
        prev_url=url_for(endpoint, week=(monday - timedelta(days=7)).isoformat(), **args),
        next_url=url_for(endpoint, week=(monday + timedelta(days=7)).isoformat(), **args),
        this_url=url_for(endpoint, **args),
    )
