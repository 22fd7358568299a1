"""App-wide error handlers: the API's one JSON error shape, friendly pages elsewhere."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from helpdesk.services.errors import ServiceError

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def wants_json() -> bool:
    """API paths always answer JSON; so do clients that prefer it."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    """The API error shape: {"error": {"code", "message", "fields"}}."""
    body = {"error": {"code": code, "message": str(message), "fields": fields or {}}}
    return jsonify(body), status


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        401: _("Sign in first."),
        403: _("You may not do that."),
        404: _("Not found."),
        405: _("That method is not allowed here."),
        413: _("The request is too large."),
        415: _("Send JSON with Content-Type: application/json."),
        429: _("Too many requests; slow down."),
        500: _("Something went wrong on our side. It has been logged."),
    }


def init_app(app: Flask) -> None:
    """Register the handlers on the app (blueprint handlers miss routing 404s)."""

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        if wants_json():
            return error_response(exc.status, exc.code, exc.message, exc.fields)
        return render_template(
            "errors/error.html", status=exc.status, message=exc.message
        ), exc.status

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = _("The form expired or was sent from elsewhere. Please try again.")
        if wants_json():
            return error_response(400, "csrf_failed", message)
        return render_template("errors/error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        message = _messages().get(status, exc.description or "")
        if wants_json():
            response, status = error_response(status, _CODES.get(status, "error"), message)
            if exc.code == 405 and exc.valid_methods:
                response.headers["Allow"] = ", ".join(exc.valid_methods)
            retry = getattr(exc, "retry_after", None) or (
                exc.response and exc.response.headers.get("Retry-After")
            )
            if retry:
                response.headers["Retry-After"] = str(retry)
            return response, status
        return render_template("errors/error.html", status=status, message=message), status

    @app.errorhandler(500)
    def server_error(exc):
        if wants_json():
            return error_response(500, "server_error", _messages()[500])
        return render_template("errors/error.html", status=500, message=_messages()[500]), 500
