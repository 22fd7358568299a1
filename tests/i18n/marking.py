"""Finders of user-visible text that is not marked for translation, in templates and Python."""

from __future__ import annotations

import ast
from html.parser import HTMLParser

from jinja2 import Environment

MARK = "\x00"  # stands for any Jinja expression, statement or comment
CHECKED_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "aria-description"}
SKIPPED_ELEMENTS = {"script", "style"}
_ENV = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)  # only lexes


def _not_text(name: str) -> bool:
    # {% block body_class %}, {% macro thread_attrs() %}: class names and attribute
    # fragments, not words anyone reads.
    return name.endswith(("_class", "_attrs"))


def _html_only(source: str) -> str:
    """The template's literal text, each Jinja construct replaced by MARK."""
    parts: list[str] = []
    in_tag = False
    statement: list[str] = []  # the names read so far in the current {% ... %}
    scopes: list[str] = []  # enclosing block and macro names
    for _lineno, kind, value in _ENV.lex(source):
        if kind in ("variable_begin", "block_begin", "comment_begin"):
            in_tag, statement = True, []
            parts.append(MARK)
        elif kind in ("variable_end", "block_end", "comment_end"):
            in_tag = False
            if statement[:1] in (["block"], ["macro"]) and len(statement) > 1:
                scopes.append(statement[1])
            elif statement[:1] in (["endblock"], ["endmacro"]) and scopes:
                scopes.pop()
        elif in_tag and kind == "name":
            statement.append(value)
        elif kind == "data" and not in_tag and not any(_not_text(n) for n in scopes):
            parts.append(value)
    return "".join(parts)


def _wordy(text: str) -> bool:
    return any(ch.isalpha() for ch in text.replace(MARK, " "))


class _Finder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_ELEMENTS:
            self.skipping += 1
        for name, value in attrs:
            if name in CHECKED_ATTRIBUTES and value and _wordy(value):
                self.found.append(f'line {self.getpos()[0]}: {name}="{value.strip()}"')

    def handle_endtag(self, tag):
        if tag in SKIPPED_ELEMENTS and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping and _wordy(data):
            self.found.append(f"line {self.getpos()[0]}: {data.strip().replace(MARK, '…')!r}")


def unmarked_template_text(source: str) -> list[str]:
    """Visible text nodes and checked attributes holding literal words outside {{ _() }}."""
    finder = _Finder()
    finder.feed(_html_only(source))
    finder.close()
    return finder.found


# Calls whose first argument a user reads: flash(), ValidationError(), form field labels.
_MESSAGE_CALLS = {"flash", "ValidationError", "StopValidation"}
_LIST_APPENDS = {"errors", "form_errors"}


def _literal(node: ast.AST | None) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return any(ch.isalpha() for ch in node.value)
    if isinstance(node, ast.JoinedStr):  # f"{path}: {message}" holds no words of its own
        return any(_literal(part) for part in node.values)
    return isinstance(node, ast.BinOp) and (_literal(node.left) or _literal(node.right))


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def unmarked_python_text(source: str) -> list[str]:
    """flash(), ValidationError(), errors.append() and *Field(label) given a bare literal."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        first = node.args[0] if node.args else None
        owner = node.func.value if isinstance(node.func, ast.Attribute) else None
        if name in _MESSAGE_CALLS:
            suspects = [first] + [k.value for k in node.keywords if k.arg == "message"]
        elif name == "append" and _name(owner) in _LIST_APPENDS:
            suspects = [first]
        elif name.endswith("Field") and name != "Field":  # pydantic's Field is API schema
            suspects = [first] + [
                k.value for k in node.keywords if k.arg in ("label", "description")
            ]
        elif name in (
            "DataRequired",
            "InputRequired",
            "Length",
            "Email",
            "Regexp",
            "NumberRange",
            "AnyOf",
            "NoneOf",
            "EqualTo",
            "Optional",
            "URL",
        ):
            suspects = [k.value for k in node.keywords if k.arg == "message"]
        else:
            continue
        found.extend(
            f"line {node.lineno}: {name}({ast.unparse(s)[:60]})" for s in suspects if _literal(s)
        )
    return found
