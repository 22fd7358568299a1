"""The OpenAPI 3.1 document, built from the routes themselves and the pydantic models they use."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from helpdesk import schemas
from helpdesk.api import bp
from helpdesk.api.principal import public

REF = "#/components/schemas/{model}"
_CONVERTER = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>")
_ERROR_TEXT = {
    400: "Malformed request (e.g. invalid JSON).",
    401: "Missing, invalid or expired token (`WWW-Authenticate: Bearer`).",
    403: "The caller may see the object but not do this.",
    404: "No such object, or one the caller may not see.",
    409: "The request clashes with the current state.",
    413: "The body is larger than the server accepts.",
    415: "The body is not `application/json`.",
    422: "Invalid fields; `fields` maps each field path to a message.",
    429: "Too many requests; `Retry-After` says how many seconds to wait.",
}
_CACHE_KEY = "helpdesk_openapi"


def operation(
    *,
    summary: str,
    responses: dict[int, type[BaseModel] | None],
    errors: tuple[int, ...] = (),
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    headers: tuple[dict, ...] = (),
    description: str = "",
    media: dict[int, str] | None = None,
    body_media: tuple[str, ...] = (),
):
    """Describe a view for the OpenAPI document; every API route must carry one.

    `media` maps a status to a non-JSON media type (e.g. text/csv) that it answers with;
    `body_media` lists the non-JSON media types of a text body (e.g. application/yaml).
    """

    def decorate(view):
        view.openapi = {
            "summary": summary,
            "description": description,
            "responses": responses,
            "errors": errors,
            "body": body,
            "query": query,
            "headers": headers,
            "media": media or {},
            "body_media": body_media,
        }
        return view

    return decorate


def _ref(model: type[BaseModel]) -> dict:
    return {"$ref": REF.format(model=model.__name__)}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _components() -> dict[str, Any]:
    models = [(m, "validation") for m in schemas.REQUEST_MODELS]
    models += [(m, "serialization") for m in schemas.RESPONSE_MODELS]
    _, top = models_json_schema(models, ref_template=REF)
    return top.get("$defs", {})


def _query_schema(prop: dict) -> dict:
    # A query parameter is absent rather than null: keep only the non-null alternative.
    schema = {k: v for k, v in prop.items() if k not in ("description", "title")}
    branches = [b for b in schema.pop("anyOf", ()) if b != {"type": "null"}]
    if len(branches) == 1:
        schema.update(branches[0])
    elif branches:
        schema["anyOf"] = branches
    if schema.get("default", 0) is None:
        del schema["default"]
    return schema


def _parameters(rule_path: str, spec: dict) -> list[dict]:
    params = []
    for name in _CONVERTER.findall(rule_path):
        # Ids are parsed by the views themselves: anything else answers 404.
        schema = {"type": "integer", "minimum": 1, "maximum": schemas.ID_MAX}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    query: type[BaseModel] | None = spec["query"]
    if query is not None:
        query_schema = query.model_json_schema(ref_template=REF)
        required = set(query_schema.get("required", ()))
        for name, prop in query_schema["properties"].items():
            param = {"name": name, "in": "query", "required": name in required}
            if "description" in prop:
                param["description"] = prop["description"]
            param["schema"] = _query_schema(prop)
            params.append(param)
    params.extend(spec["headers"])
    return params


def _operation(view, rule_path: str, *, public: bool) -> dict:
    spec = view.openapi
    op: dict[str, Any] = {
        "operationId": view.__name__,
        "summary": spec["summary"],
        "responses": {},
    }
    if spec["description"]:
        op["description"] = spec["description"]
    params = _parameters(rule_path, spec)
    if params:
        op["parameters"] = params
    if spec["body"] is not None:
        op["requestBody"] = {"required": True, "content": _json(_ref(spec["body"]))}
    elif spec.get("body_media"):
        content = {media: {"schema": {"type": "string"}} for media in spec["body_media"]}
        op["requestBody"] = {"required": True, "content": content}
    for status, model in spec["responses"].items():
        response: dict[str, Any] = {"description": "OK" if status < 300 else "See body."}
        if status == 201:
            response["description"] = "Created."
            response["headers"] = {
                "Location": {"description": "The new ticket.", "schema": {"type": "string"}}
            }
        if status in spec.get("media", {}):
            response["content"] = {spec["media"][status]: {"schema": {"type": "string"}}}
        else:
            response["content"] = _json(_ref(model) if model else {"type": "object"})
        op["responses"][str(status)] = response
    errors = set(spec["errors"])
    if spec["body"] is not None:
        errors |= {400, 413, 415, 422}
    if public:
        op["security"] = []
    else:
        errors.add(401)
    for status in errors:
        op["responses"][str(status)] = {
            "description": _ERROR_TEXT[status],
            "content": _json(_ref(schemas.Error)),
        }
    op["responses"] = dict(sorted(op["responses"].items()))
    return op


def openapi_path(rule_path: str) -> str:
    """A Flask rule as an OpenAPI path: `<ticket_id>` becomes `{ticket_id}`."""
    return _CONVERTER.sub(r"{\1}", rule_path)


def build_document(app: Flask) -> dict:
    """The OpenAPI document of every route of the API blueprint."""
    paths: dict[str, dict] = {}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(f"{bp.name}."):
            continue
        view = app.view_functions[rule.endpoint]
        if not hasattr(view, "openapi"):
            continue  # tests/api/test_openapi.py fails for an undocumented route
        item = paths.setdefault(openapi_path(rule.rule), {})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            item[method.lower()] = _operation(
                view, rule.rule, public=getattr(view, "public", False)
            )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Helpdesk API",
            "version": "1",
            "description": (
                "Times are ISO 8601 in UTC. Errors are 4xx with "
                '`{"error": {"code", "message", "fields"}}`. Another client\'s objects '
                "answer 404."
            ),
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": _components(),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A client's intake token, or a user token from "
                    "`POST /api/v1/auth/token`.",
                }
            },
        },
        "security": [{"bearer": []}],
    }


@bp.get("/openapi.json")
@public
@operation(summary="This OpenAPI 3.1 document.", responses={200: None})
def openapi_document():
    """Serve the document (built once per app)."""
    document = current_app.extensions.get(_CACHE_KEY)
    if document is None:
        document = current_app.extensions[_CACHE_KEY] = build_document(current_app)
    return jsonify(document)
