"""Reading API input: JSON bodies and query strings into pydantic models, or a 4xx error."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel

from helpdesk.schemas.validation import validated
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


def parse_body(model: type[M]) -> M:
    """The JSON body validated by `model`; 415, 400 or 422 (naming each bad field) otherwise."""
    return validated(model, json_body())


def parse_query(model: type[M]) -> M:
    """The query string validated by `model`; a repeated or unknown parameter is a 422."""
    repeated = {
        key: _("Give this parameter once.")
        for key, values in request.args.lists()
        if len(values) > 1
    }
    if repeated:
        raise ValidationFailed(_("The request has invalid fields."), fields=repeated)
    return validated(model, request.args.to_dict())
