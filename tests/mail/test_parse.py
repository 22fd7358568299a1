"""Parsing inbound mail is pure: bytes in, text and parts out, automatic mail recognised."""

from __future__ import annotations

import pytest

from helpdesk.mail.parse import (
    first_message_id,
    html_to_text,
    loop_reason,
    message_ids,
    parse,
    part_text,
    trim_reply,
    trim_signature,
)
from tests.mail.helpers import eml


def test_a_plain_mail_gives_its_headers_and_text():
    mail = parse(eml("plain.eml"))
    assert (mail.from_name, mail.from_addr) == ("Kim Park", "kim@customer.test")
    assert mail.message_id == "plain-1@customer.test"
    assert mail.subject == "Printer on the 3rd floor is jammed"
    assert mail.content_language == "en"
    assert mail.text.startswith("Hello,\n\nthe printer")
    assert mail.attachments == [] and mail.defects == []


def test_iso_2022_jp_headers_and_body_are_decoded():
    mail = parse(eml("iso2022jp.eml"))
    assert mail.from_name == "田中 圭"
    assert mail.subject == "プリンターの故障"
    assert mail.text == "プリンターが動きません。\n至急お願いします。"
    assert mail.content_language == "ja-JP"


def test_windows_1252_headers_and_body_are_decoded():
    mail = parse(eml("windows1252.eml"))
    assert mail.subject == "Facture – montant erroné"
    assert mail.text == "La facture indique 120 € au lieu de 100 €, c’est « urgent »."


def test_text_labelled_latin_1_is_read_as_windows_1252():
    from email.message import Message

    part = Message()
    part["Content-Type"] = "text/plain; charset=iso-8859-1"
    part.set_payload("“quoted” – 5 €".encode("cp1252"))
    assert part_text(part) == "“quoted” – 5 €"


def test_an_unknown_charset_falls_back_to_utf8_then_windows_1252():
    mail = parse(
        b"From: a@b.test\r\nContent-Type: text/plain; charset=x-klingon\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\nCaf\xc3\xa9 and na\xefve\r\n"
    )
    assert mail.text == "CafÃ© and naïve"  # not UTF-8 as a whole, so Windows-1252 throughout


def test_html_becomes_safe_text_without_scripts_styles_or_tags():
    mail = parse(eml("html_only.eml"))
    assert mail.text == "The VPN drops every hour & I lose my session.\nCan you check?"


def test_html_entities_that_spell_tags_stay_text():
    assert html_to_text("<p>a &lt;script&gt; b</p>") == "a <script> b\n"


def test_multipart_attachments_keep_their_claimed_names_and_types_for_the_store_to_check():
    mail = parse(eml("with_attachment.eml"))
    assert [(a.filename, a.declared_type) for a in mail.attachments] == [
        ("../../etc/screen shot.png", "text/plain"),
        ("evil.png", "image/png"),
    ]
    assert mail.text == "The error is in the screenshot."


def test_a_broken_multipart_is_read_as_far_as_it_goes_with_its_defects_listed():
    mail = parse(eml("malformed.eml"))
    assert mail.text.startswith("The screen flickers")
    assert "CloseBoundaryNotFoundDefect" in mail.defects
    assert [a.filename for a in mail.attachments] == ["report.pdf"]


def test_garbage_bytes_parse_to_an_empty_mail_rather_than_an_error():
    mail = parse(b"\x00\xff\xfe not a mail at all")
    assert mail.message_id is None and mail.from_addr == ""


def test_message_ids_are_read_from_headers_without_brackets():
    assert message_ids("<a@b> <c@d>\r\n <e@f>") == ["a@b", "c@d", "e@f"]
    assert first_message_id("no brackets here") is None
    assert parse(eml("no_message_id.eml")).message_id is None


def test_quoted_history_after_an_on_wrote_line_is_trimmed():
    mail = parse(eml("reply_quoted.eml"))
    assert trim_reply(mail.text) == "It jams again, now on every second page."


@pytest.mark.parametrize(
    "history",
    [
        "Le lun. 9 mars 2026 à 15:10, Acme <support@acme.test> a écrit :\n> old",
        "Am 09.03.2026 um 15:10 schrieb Acme <support@acme.test>:\n> old",
        "2026年3月9日(月) 15:10 Acme <support@acme.test>:\n> old",
        "-----Original Message-----\nFrom: Acme\nSent: Monday\n\nold",
        "\nFrom: Acme Support <support@acme.test>\nSent: Monday, March 9\nold",
        "> old\n> older",
    ],
)
def test_quoted_history_in_other_styles_is_trimmed(history):
    assert trim_reply(f"New text.\n\n{history}") == "New text."


def test_a_reply_written_inside_the_quote_is_kept_whole():
    text = "> Which printer?\nThe one on floor 3.\n> Since when?\nToday."
    assert trim_reply(text) == text


def test_signatures_are_trimmed_below_the_delimiter_or_the_phone_line():
    assert trim_signature("Thanks\n--\nKim\n+1 555") == "Thanks"
    assert trim_signature("Help please\n\nSent from my iPhone") == "Help please"
    assert trim_signature("-- not a signature on the first line") == (
        "-- not a signature on the first line"
    )


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("auto_reply.eml", "Auto-Submitted: auto-replied"),
        ("bounce.eml", "multipart/report"),
    ],
)
def test_automatic_mail_is_recognised(fixture, reason):
    assert reason in loop_reason(eml(fixture), "kim@customer.test")


@pytest.mark.parametrize(
    "header",
    [
        "Precedence: bulk",
        "Precedence: junk",
        "Precedence: list",
        "X-Autoreply: yes",
        "X-Autorespond: on",
        "List-Id: <news.vendor.test>",
        "From: MAILER-DAEMON@mx.test",
    ],
)
def test_list_and_auto_response_headers_mark_a_loop(header):
    raw = f"{header}\r\nSubject: hi\r\n\r\nbody\r\n".encode()
    assert loop_reason(raw, "someone@vendor.test") is not None


def test_the_null_sender_marks_a_bounce_and_auto_submitted_no_is_a_person():
    assert loop_reason(eml("plain.eml"), "<>") == "null sender (bounce)"
    assert loop_reason(eml("plain.eml"), "") == "null sender (bounce)"
    raw = b"Auto-Submitted: no\r\nFrom: kim@customer.test\r\n\r\nhello\r\n"
    assert loop_reason(raw, "kim@customer.test") is None
    assert loop_reason(eml("plain.eml"), "kim@customer.test") is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [("ja-JP", "ja"), ("pt-BR", "pt_BR"), ("en-US, fr", "en"), ("tl", "tl"), ("xx-!!", None)],
)
def test_content_language_becomes_a_ticket_locale(header, expected):
    from helpdesk.services.mail_intake import mail_locale

    languages = ("en", "es", "fr", "de", "pt_BR", "ja", "ar")
    assert mail_locale(header.split(",")[0].strip(), languages) == expected
