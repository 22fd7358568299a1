"""Every user-visible string is marked for translation, in templates and in Python."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.i18n.marking import unmarked_python_text, unmarked_template_text

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "helpdesk" / "templates").rglob("*.html"))
MODULES = sorted((ROOT / "helpdesk").rglob("*.py"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_template_has_no_unmarked_visible_text(path):
    assert unmarked_template_text(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_messages_for_people_are_marked(path):
    assert unmarked_python_text(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "<p>Hello</p>",
        "<p>{{ _('Hello') }} world</p>",
        '<input placeholder="Search">',
        '<button aria-label="Close {{ name }}">×</button>',
        '<img alt="Logo" src="x.png">',
        '<a title="Open">{{ _("Open") }}</a>',
        "{% if x %}<span>Due</span>{% endif %}",
    ],
)
def test_the_template_check_finds_literal_words(source):
    assert unmarked_template_text(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "<p>{{ _('Hello') }}</p>",
        '<input placeholder="{{ _(\'Search\') }}" class="control wide">',
        "<button aria-label=\"{{ _('Close') }}\">×</button>",
        "<script>const a = 'word';</script><style>p { color: red }</style>",
        "{# a comment with words #}<p>{{ n }} · {{ m }}</p>",
        '<svg viewBox="0 0 24 24"><path d="M3 13h5"/></svg>',
    ],
)
def test_the_template_check_lets_marked_text_pass(source):
    assert unmarked_template_text(source) == []


@pytest.mark.parametrize(
    "source",
    [
        "flash('Saved')",
        "flash(f'Saved {name}', 'success')",
        "raise ValidationError('Too long')",
        "form.email.errors.append('Taken')",
        "form.form_errors.append('Wrong password')",
        "name = StringField('Name')",
        "name = StringField(label='Name')",
        "body = TextAreaField(_l('Body'), validators=[Length(max=5, message='Too long')])",
    ],
)
def test_the_python_check_finds_bare_literals(source):
    assert unmarked_python_text(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "flash(_('Saved'), 'success')",
        "raise ValidationError(_l('Too long'))",
        "form.email.errors.append(taken)",
        "name = StringField(_l('Name'), validators=[DataRequired()])",
        "errors.append('')",
        "errors.append(f'{path}: {message}')",
        "count: int = Field(description='How many tickets')",
    ],
)
def test_the_python_check_lets_marked_text_pass(source):
    assert unmarked_python_text(source) == []
