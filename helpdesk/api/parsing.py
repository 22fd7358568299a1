"""Reading API input: JSON bodies and query strings into pydantic models, or a 4xx error."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError

from helpdesk.i18n import Number
from helpdesk.services.errors import ServiceError, ValidationFailed

M = TypeVar("M", bound=BaseModel)


class UnsupportedMediaType(ServiceError):
    """The body is not sent as JSON."""

    status = 415
    code = "unsupported_media_type"


class InvalidJson(ServiceError):
    """The body is not well-formed JSON."""

    status = 400
    code = "invalid_json"


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON does not.
    raise ValueError(name)


def _check_strings(value: Any) -> None:
    # Lone surrogates ("\ud800") parse but cannot be stored or sent as UTF-8.
    if isinstance(value, str):
        value.encode("utf-8")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key)
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


def json_body() -> dict:
    """The request body as a JSON object; 415 for another media type, 400 for bad JSON."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(_("Send JSON with Content-Type: application/json."))
    raw = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH: 413 from the app handler
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
        _check_strings(data)
    except (ValueError, RecursionError):
        raise InvalidJson(_("The body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise InvalidJson(_("The body must be a JSON object."))
    return data


def _message(error: dict) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind in ("string_type", "string_unicode"):
        return _("Must be text.")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _("Must be a whole number.")
    if kind in ("bool_type", "bool_parsing"):
        return _("Must be true or false.")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _("Must be an object.")
    if kind == "literal_error":
        return _("Choose one of: %(choices)s.", choices=ctx.get("expected", ""))
    if kind == "string_too_long":
        return _("Must be at most %(limit)s characters.", limit=Number(ctx["max_length"]))
    if kind == "string_too_short":
        return _("Must not be empty.")
    if kind == "string_pattern_mismatch":
        if "\\x00" in ctx.get("pattern", "") and "\x00" in str(error.get("input", "")):
            return _("Must not contain NUL characters.")
        if "\\s" in ctx.get("pattern", ""):
            return _("This field is required.")
        return _("Has an invalid format.")
    if kind in ("greater_than_equal", "greater_than"):
        return _("Must be at least %(limit)s.", limit=ctx.get("ge", ctx.get("gt")))
    if kind in ("less_than_equal", "less_than"):
        return _("Must be at most %(limit)s.", limit=ctx.get("le", ctx.get("lt")))
    if kind == "email":
        return _("Not a valid e-mail address.")
    if kind == "timezone_aware":
        return _("Give a time zone offset, e.g. 2026-03-08T06:59:00Z.")
    if kind.startswith(("datetime_", "date_")):
        return _("Not a valid ISO 8601 date and time.")
    return _("Invalid value.")


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic errors as {"field.path": "message"}, the first message per field."""
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        path = ".".join(str(part) for part in error["loc"]) or "body"
        fields.setdefault(path, _message(error))
    return fields


def _validate(model: type[M], data: dict) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(
            _("The request has invalid fields."), fields=field_errors(exc)
        ) from None


def parse_body(model: type[M]) -> M:
    """The JSON body validated by `model`; 415, 400 or 422 (naming each bad field) otherwise."""
    return _validate(model, json_body())


def parse_query(model: type[M]) -> M:
    """The query string validated by `model`; a repeated or unknown parameter is a 422."""
    repeated = {
        key: _("Give this parameter once.")
        for key, values in request.args.lists()
        if len(values) > 1
    }
    if repeated:
        raise ValidationFailed(_("The request has invalid fields."), fields=repeated)
    return _validate(model, request.args.to_dict())
