"""Reading a provisioning file: YAML to plain data, refusing bad syntax and repeated keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from flask_babel import gettext as _

from helpdesk.services.provisioning.plan import ProvisioningError


def load_file(path: str | Path) -> Any:
    """The parsed YAML of a file; an unreadable file or bad YAML raises ProvisioningError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProvisioningError([_("%(path)s: cannot read: %(why)s", path=path, why=exc)]) from None
    return parse_yaml(text, source=str(path))


def parse_yaml(text: str, *, source: str = "<yaml>", aliases: bool = True) -> Any:
    """The YAML document as plain data; syntax errors and duplicate keys raise ProvisioningError.

    `aliases=False` refuses anchors and aliases (`&a`, `*a`), for text from the network: a
    few nested aliases stand for exponentially many values, which checking would walk.
    """
    try:
        if not aliases:
            _refuse_aliases(text, source)
        duplicates = _duplicate_keys(yaml.compose(text, Loader=yaml.SafeLoader))
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProvisioningError(
            [
                _(
                    "%(source)s: invalid YAML at %(where)s: %(problem)s",
                    source=source,
                    where=where,
                    problem=problem,
                )
            ]
        ) from None
    if duplicates:
        raise ProvisioningError(duplicates)
    return data


def _refuse_aliases(text: str, source: str) -> None:
    """ProvisioningError if the document uses an alias (scanning tokens takes linear time)."""
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        if isinstance(token, yaml.AliasToken):
            raise ProvisioningError(
                [
                    _(
                        "%(source)s: anchors and aliases (*name) are not accepted here, "
                        "at line %(line)d",
                        source=source,
                        line=token.start_mark.line + 1,
                    )
                ]
            )


def _duplicate_keys(node: yaml.Node | None, path: str = "") -> list[str]:
    """Keys repeated in one mapping: safe_load would silently keep only the last one."""
    errors: list[str] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else None
            child = f"{path}.{key}" if path else str(key)
            if key is not None and key != "<<":
                if key in seen:
                    errors.append(
                        _(
                            "%(path)s: duplicate key (line %(line)d)",
                            path=child,
                            line=key_node.start_mark.line + 1,
                        )
                    )
                seen.add(key)
            errors += _duplicate_keys(value_node, child)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            errors += _duplicate_keys(item, f"{path}[{i}]")
    return errors
