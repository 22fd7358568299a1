"""A client's brand on its portal: the logo image and the stylesheet of its accent colour.

Both addresses carry a version (the logo's digest, the colour) in the query, so browsers may
keep them for a year and a change shows at once; neither needs a signed-in customer.
"""

from __future__ import annotations

from flask import Response, abort, g, request

from helpdesk.domain import colors
from helpdesk.extensions import db
from helpdesk.portal import bp
from helpdesk.services import branding

YEAR = 365 * 24 * 3600


def _cached(response: Response) -> Response:
    # A versioned address never changes: an unversioned one is checked again daily.
    versioned = bool(request.args.get("v"))
    response.headers["Cache-Control"] = (
        f"public, max-age={YEAR}, immutable" if versioned else "public, max-age=86400"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/logo")
def logo():
    """The client's logo (404 without one)."""
    stored = branding.logo_of(db.session, g.client.slug)
    if stored is None:
        abort(404)
    response = Response(stored.data, content_type=stored.content_type)
    response.set_etag(g.client.logo_sha256 or "")
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return _cached(response.make_conditional(request))


@bp.route("/brand.css")
def brand_css():
    """The portal's colour variables for the client's accent (empty without one)."""
    accent = g.client.accent_color
    css = ""
    if accent:
        rules = "".join(f"--{name}:{value};" for name, value in colors.shades(accent).items())
        css = f"body.portal{{{rules}}}\n"
    return _cached(Response(css, content_type="text/css; charset=utf-8"))
