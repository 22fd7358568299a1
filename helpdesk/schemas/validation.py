"""Validating request data with the schemas: pydantic errors as one message per field."""

from __future__ import annotations

from typing import TypeVar

from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError

from helpdesk.i18n import Number
from helpdesk.services.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)


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


def validated(model: type[M], data: dict) -> M:
    """`data` validated by `model`; a 422 ValidationFailed naming each bad field otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(
            _("The request has invalid fields."), fields=field_errors(exc)
        ) from None
