"""parse_email and html_to_text: real-world shapes of inbound mail, each with exact expected results."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage

import pytest

from lofte.channels.email.parsing import EmailParseError, html_to_text, parse_email


def raw(text: str | bytes, crlf: bool = False) -> bytes:
    """A message from an indented literal: leading newline and common indentation removed."""
    data = text.encode("latin-1") if isinstance(text, str) else text
    lines = data.split(b"\n")
    if lines and not lines[0].strip():
        lines = lines[1:]
    indents = [len(line) - len(line.lstrip(b" ")) for line in lines if line.strip()]
    cut = min(indents) if indents else 0
    out = b"\n".join(line[cut:] for line in lines)
    return out.replace(b"\n", b"\r\n") if crlf else out


# --------------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------------


def test_plain_message_every_field() -> None:
    parsed = parse_email(
        raw(
            """
            Received: from mx2.example.se by mx.lofte.test; Mon, 2 Mar 2026 09:00:02 +0100
            Received: from mx1.example.se by mx2.example.se; Mon, 2 Mar 2026 09:00:01 +0100
            From: Karin Kund <Karin.Kund@Example.SE>
            To: Support <support@lofte.test>, other@lofte.test
            Cc: "Berg, Per" <per@example.se>
            Reply-To: <Karin.Private@Example.se>
            Subject: Fakturan
            Date: Mon, 2 Mar 2026 09:00:00 +0100
            Message-ID: <abc.123@mail.example.se>
            MIME-Version: 1.0
            Content-Type: text/plain; charset=utf-8

            Hej!

            Fakturan ar fel.
            """,
            crlf=True,
        )
    )
    assert parsed.subject == "Fakturan"
    assert parsed.from_address == "karin.kund@example.se"
    assert parsed.from_name == "Karin Kund"
    assert parsed.to == ["support@lofte.test", "other@lofte.test"]
    assert parsed.cc == ["per@example.se"]
    assert parsed.reply_to == "karin.private@example.se"
    assert parsed.date == datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    assert parsed.message_id == "<abc.123@mail.example.se>"
    assert parsed.in_reply_to == []
    assert parsed.references == []
    assert parsed.text == "Hej!\n\nFakturan ar fel.\n"
    assert parsed.html == ""
    assert parsed.attachments == []
    assert parsed.defects == []
    assert parsed.headers["received"] == "from mx2.example.se by mx.lofte.test; Mon, 2 Mar 2026 09:00:02 +0100"
    assert parsed.headers["content-type"] == "text/plain; charset=utf-8"
    assert parsed.headers["cc"] == '"Berg, Per" <per@example.se>'


def test_encoded_word_subject_iso_8859_1_q() -> None:
    parsed = parse_email(raw("Subject: =?iso-8859-1?q?Fr=E5ga_om_fakturan?=\nFrom: a@b.se\n\nx\n"))
    assert parsed.subject == "Fråga om fakturan"
    assert parsed.headers["subject"] == "Fråga om fakturan"


def test_adjacent_encoded_words_join_and_split_multibyte_characters() -> None:
    # "Räkning för mars" in two base64 words that split the UTF-8 bytes of "ö" between them.
    first = base64.b64encode("Räkning f".encode() + "ö".encode()[:1]).decode()
    second = base64.b64encode("ö".encode()[1:] + b"r mars").decode()
    parsed = parse_email(
        raw(f"Subject: =?utf-8?b?{first}?=\n =?utf-8?b?{second}?=\n  (and a comment)\nFrom: a@b.se\n\nx\n")
    )
    assert parsed.subject == "Räkning för mars (and a comment)"


def test_encoded_words_wrong_case_and_mixed_charsets() -> None:
    parsed = parse_email(
        raw("Subject: =?UTF-8?Q?K=C3=B6p?= =?Iso-8859-1?B?5Q==?= och =?WINDOWS-1252?q?=80?=\nFrom: a@b.se\n\nx\n")
    )
    assert parsed.subject == "Köpå och €"


def test_encoded_word_inside_quoted_display_name() -> None:
    parsed = parse_email(raw('From: "=?utf-8?q?Bj=C3=B6rn_=C3=85str=C3=B6m?=" <Bjorn@Example.SE>\n\nx\n'))
    assert parsed.from_name == "Björn Åström"
    assert parsed.from_address == "bjorn@example.se"


def test_encoded_display_name_with_comma_is_one_address() -> None:
    parsed = parse_email(
        raw("From: =?utf-8?q?Andersson=2C_Bj=C3=B6rn?= <bjorn@example.se>\nTo: a@x.se, =?utf-8?q?B?= <b@x.se>\n\nx\n")
    )
    assert parsed.from_name == "Andersson, Björn"
    assert parsed.from_address == "bjorn@example.se"
    assert parsed.to == ["a@x.se", "b@x.se"]


def test_raw_utf8_headers() -> None:
    parsed = parse_email(raw("From: Åsa Öberg <asa@example.se>\nSubject: Hjälp med beställning\n\nx\n".encode()))
    assert parsed.subject == "Hjälp med beställning"
    assert parsed.from_name == "Åsa Öberg"
    assert parsed.defects == []


def test_raw_windows_1252_header_is_decoded_and_noted() -> None:
    parsed = parse_email(raw(b"From: a@b.se\nSubject: \x93Tack\x94 f\xf6r hj\xe4lpen\n\nx\n"))
    assert parsed.subject == "\u201cTack\u201d för hjälpen"
    assert parsed.defects == ["no charset declared in header subject; decoded as windows-1252"]


def test_mojibake_subject_is_repaired() -> None:
    # UTF-8 "Räkning ändrad" that went through a latin-1 decode before being encoded again.
    parsed = parse_email(raw("From: a@b.se\nSubject: =?utf-8?q?R=C3=83=C2=A4kning_=C3=83=C2=A4ndrad?=\n\nx\n"))
    assert parsed.subject == "Räkning ändrad"
    assert parsed.defects == ["mojibake repaired in header subject"]


def test_legitimate_latin_text_is_not_taken_for_mojibake() -> None:
    parsed = parse_email(raw("From: a@b.se\nSubject: =?utf-8?q?=C3=83lborg_=C2=A9_2026?=\n\nx\n"))
    assert parsed.subject == "Ãlborg © 2026"


def test_whitespace_collapsed_in_subject() -> None:
    parsed = parse_email(raw("From: a@b.se\nSubject: Many\t  spaces\n   and a fold\n\nx\n"))
    assert parsed.subject == "Many spaces and a fold"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Karin <karin@example.se>", ("karin@example.se", "Karin")),
        ("karin@example.se", ("karin@example.se", "")),
        ("<KARIN@example.se>", ("karin@example.se", "")),
        ("karin@example.se (Karin Kund)", ("karin@example.se", "Karin Kund")),
        ('"Karin Kund <karin@example.se>', ("karin@example.se", "Karin Kund")),
        ('"Kund, Karin" <karin@example.se', ("karin@example.se", "Kund, Karin")),
        ("Karin Kund karin@example.se", ("karin@example.se", "Karin Kund")),
        ("", ("", "")),
        ("undisclosed-recipients:;", ("", "")),
    ],
)
def test_from_header_shapes(header: str, expected: tuple[str, str]) -> None:
    parsed = parse_email(raw(f"From: {header}\nSubject: s\n\nx\n"))
    assert (parsed.from_address, parsed.from_name) == expected


def test_to_and_cc_across_repeated_headers_and_groups() -> None:
    parsed = parse_email(
        raw(
            """
            From: a@b.se
            To: Team: one@x.se, "Two" <TWO@x.se>;
            To: three@x.se, one@x.se
            Cc: undisclosed-recipients:;
            Subject: s

            x
            """
        )
    )
    assert parsed.to == ["one@x.se", "two@x.se", "three@x.se"]
    assert parsed.cc == []


def test_message_id_headers_tolerate_folding_junk_and_missing_brackets() -> None:
    parsed = parse_email(
        raw(
            """
            From: a@b.se
            Message-ID:  < abc.123@mail.example.se >
            In-Reply-To: lofte.1.2@lofte.test
            References: <first@x.se>
             <second@x.se> junk (comment) <third
             @x.se> <first@x.se> <>
            Subject: s

            x
            """
        )
    )
    assert parsed.message_id == "<abc.123@mail.example.se>"
    assert parsed.in_reply_to == ["<lofte.1.2@lofte.test>"]
    assert parsed.references == ["<first@x.se>", "<second@x.se>", "<third@x.se>"]


def test_missing_message_id_and_broken_message_id() -> None:
    assert parse_email(raw("From: a@b.se\n\nx\n")).message_id == ""
    assert parse_email(raw("From: a@b.se\nMessage-ID: nonsense\n\nx\n")).message_id == ""


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Mon, 02 Mar 2026 09:15:00 +0100", datetime(2026, 3, 2, 8, 15, tzinfo=UTC)),
        ("2 Mar 2026 09:15:00 -0000", datetime(2026, 3, 2, 9, 15, tzinfo=UTC)),
        ("Mon, 2 Mar 2026 09:15:00 +0100 (CET)", datetime(2026, 3, 2, 8, 15, tzinfo=UTC)),
        ("Mon,\n 2 Mar 2026 09:15:00 GMT", datetime(2026, 3, 2, 9, 15, tzinfo=UTC)),
        ("2026-03-02T09:15:00+01:00", datetime(2026, 3, 2, 8, 15, tzinfo=UTC)),
    ],
)
def test_dates_are_aware(header: str, expected: datetime) -> None:
    parsed = parse_email(raw(f"From: a@b.se\nDate: {header}\n\nx\n"))
    assert parsed.date == expected
    assert parsed.date is not None and parsed.date.tzinfo is not None


def test_broken_date_is_none_and_noted() -> None:
    parsed = parse_email(raw("From: a@b.se\nDate: the day before yesterday\n\nx\n"))
    assert parsed.date is None
    assert parsed.defects == ["unparseable Date header"]


def test_headers_dict_first_occurrence_lower_case_decoded() -> None:
    parsed = parse_email(
        raw("X-Custom: first\nx-custom: second\nSubject: =?utf-8?q?=C3=A5?=\nFROM: a@b.se\nX-Folded: a\n b\n\nx\n")
    )
    assert parsed.headers == {"x-custom": "first", "subject": "å", "from": "a@b.se", "x-folded": "a b"}


# --------------------------------------------------------------------------------------------
# Charsets and transfer encodings
# --------------------------------------------------------------------------------------------


def leaf(body: bytes, content_type: str = "text/plain", cte: str = "8bit", extra: str = "") -> bytes:
    head = f"From: a@b.se\nSubject: s\nMIME-Version: 1.0\nContent-Type: {content_type}\n"
    if cte:
        head += f"Content-Transfer-Encoding: {cte}\n"
    return (head + extra + "\n").encode() + body


def test_windows_1252_body() -> None:
    parsed = parse_email(leaf(b"\x93Hej\x94 \x96 det kostar 5\x80\n", "text/plain; charset=windows-1252"))
    assert parsed.text == "\u201cHej\u201d \u2013 det kostar 5€\n"
    assert parsed.defects == []


def test_iso_8859_15_body() -> None:
    parsed = parse_email(leaf(b"Pris: 10 \xa4, sk\xe5l\n", "text/plain; charset=ISO-8859-15"))
    assert parsed.text == "Pris: 10 €, skål\n"


def test_iso_8859_1_label_with_windows_1252_bytes() -> None:
    parsed = parse_email(leaf(b"\x93citat\x94\n", 'text/plain; charset="iso-8859-1"'))
    assert parsed.text == "\u201ccitat\u201d\n"


def test_shift_jis_body_and_iso_2022_jp_subject() -> None:
    body = "お問い合わせありがとうございます。\n".encode("shift_jis")
    message = leaf(body, "text/plain; charset=Shift_JIS").replace(
        b"Subject: s", b"Subject: =?ISO-2022-JP?B?" + base64.b64encode("請求書".encode("iso2022_jp")) + b"?="
    )
    parsed = parse_email(message)
    assert parsed.text == "お問い合わせありがとうございます。\n"
    assert parsed.subject == "請求書"


def test_iso_2022_jp_body() -> None:
    parsed = parse_email(leaf("日本語のテキスト\n".encode("iso2022_jp"), "text/plain; charset=iso-2022-jp", "7bit"))
    assert parsed.text == "日本語のテキスト\n"


def test_ks_c_5601_1987_is_read_as_cp949() -> None:
    parsed = parse_email(leaf("안녕하세요 똠방각하\n".encode("cp949"), "text/plain; charset=ks_c_5601-1987"))
    assert parsed.text == "안녕하세요 똠방각하\n"
    assert parsed.defects == []


def test_gb2312_label_is_read_as_gb18030() -> None:
    # 镕 is in GBK but not in GB2312: mailers still label such text gb2312.
    parsed = parse_email(leaf("朱镕基 你好\n".encode("gbk"), "text/plain; charset=gb2312"))
    assert parsed.text == "朱镕基 你好\n"


def test_undeclared_utf8_body() -> None:
    parsed = parse_email(leaf("Hälsningar från Åre\n".encode(), "text/plain"))
    assert parsed.text == "Hälsningar från Åre\n"
    assert parsed.defects == ["no charset declared for 8-bit text/plain part; decoded as utf-8"]


def test_undeclared_latin_body_falls_back_to_windows_1252() -> None:
    parsed = parse_email(leaf(b"H\xe4lsningar fr\xe5n \xc5re\n", "text/plain"))
    assert parsed.text == "Hälsningar från Åre\n"
    assert parsed.defects == ["no charset declared in text/plain part; decoded as windows-1252"]


@pytest.mark.parametrize("label", ["us-ascii", "iso-8859-1", "windows-1252"])
def test_single_byte_label_on_utf8_content_prefers_utf8(label: str) -> None:
    parsed = parse_email(leaf("Smörgåsbord ✓\n".encode(), f"text/plain; charset={label}"))
    assert parsed.text == "Smörgåsbord ✓\n"
    assert parsed.defects == [f"text/plain part declared {label} but is utf-8; decoded as utf-8"]


def test_us_ascii_label_with_latin_bytes() -> None:
    parsed = parse_email(leaf(b"K\xf6p\n", "text/plain; charset=us-ascii"))
    assert parsed.text == "Köp\n"
    assert parsed.defects == ["text/plain part declared us-ascii has 8-bit bytes; decoded as windows-1252"]


def test_unknown_charset_falls_back() -> None:
    parsed = parse_email(leaf(b"K\xf6p \x80 5\n", "text/plain; charset=x-unknown"))
    assert parsed.text == "Köp € 5\n"
    assert parsed.defects == ["charset x-unknown unknown in text/plain part; decoded as windows-1252"]
    parsed = parse_email(leaf("Köp\n".encode(), "text/plain; charset=x-unknown"))
    assert parsed.text == "Köp\n"
    assert parsed.defects == ["charset x-unknown unknown in text/plain part; decoded as utf-8"]


def test_utf8mb4_is_utf8() -> None:
    parsed = parse_email(leaf("Emoji 😀\n".encode(), "text/plain; charset=utf8mb4"))
    assert parsed.text == "Emoji 😀\n"
    assert parsed.defects == []


def test_quoted_printable_body_with_soft_breaks() -> None:
    body = b"Det h=C3=A4r =C3=A4r en l=C3=A5ng rad som bryts h=\r\n=C3=A4r.=20\r\nN=C3=A4sta rad.\r\n"
    parsed = parse_email(leaf(body, "text/plain; charset=utf-8", "quoted-printable"))
    assert parsed.text == "Det här är en lång rad som bryts här. \nNästa rad.\n"


def test_base64_body_with_broken_padding() -> None:
    encoded = base64.b64encode("Hej på dig".encode())
    assert encoded.endswith(b"=")
    parsed = parse_email(leaf(encoded.rstrip(b"=") + b"\n", "text/plain; charset=utf-8", "base64"))
    assert parsed.text == "Hej på dig"
    assert parsed.defects == ["broken base64 repaired in text/plain part"]


def test_base64_with_line_noise_and_a_trailer() -> None:
    content = bytes(range(256)) * 4
    lines = base64.encodebytes(content).splitlines()
    noisy = [*lines[:3], lines[3][:10] + b"!" + lines[3][10:], *lines[4:]]
    body = b"\r\n".join(noisy) + b"\r\n\r\n-- \r\nMailing list footer: see https://lists.example.org\r\n"
    parsed = parse_email(
        leaf(body, "application/octet-stream", "base64", 'Content-Disposition: attachment; filename="data.bin"\n')
    )
    assert [(a.filename, a.content) for a in parsed.attachments] == [("data.bin", content)]
    assert parsed.defects == ["broken base64 repaired in application/octet-stream part"]


def test_eight_bit_and_binary_bodies_are_kept_byte_for_byte() -> None:
    payload = b"\x00\x01\xff\xfe\r\nbinary\n\x80"
    message = (
        b"From: a@b.se\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: 8bit\n\n" + "Åtta bitar\n".encode() + b"\n--B\n"
        b"Content-Type: application/octet-stream; name=raw.bin\nContent-Transfer-Encoding: binary\n\n"
        + payload
        + b"\n--B--\n"
    )
    parsed = parse_email(message)
    assert parsed.text == "Åtta bitar\n"
    assert [(a.filename, a.content) for a in parsed.attachments] == [("raw.bin", payload)]


def test_format_flowed() -> None:
    body = (
        b"This is a long \r\nparagraph that was \r\nwrapped.\r\n\r\n"
        b">Quoted text that \r\n>flows on.\r\n From a line\r\n-- \r\nKarin\r\n"
    )
    parsed = parse_email(leaf(body, "text/plain; charset=utf-8; format=flowed", "7bit"))
    assert parsed.text == (
        "This is a long paragraph that was wrapped.\n\n> Quoted text that flows on.\nFrom a line\n-- \nKarin\n"
    )


def test_format_flowed_delsp_yes() -> None:
    body = b"Japanese-style wrap: abc \r\ndef and \r\nmore.\r\n"
    parsed = parse_email(leaf(body, "text/plain; charset=utf-8; format=flowed; delsp=yes", "7bit"))
    assert parsed.text == "Japanese-style wrap: abcdef andmore.\n"


def test_lone_cr_and_crlf_normalised() -> None:
    parsed = parse_email(leaf(b"one\r\ntwo\rthree\n", "text/plain; charset=utf-8", "8bit"))
    assert parsed.text == "one\ntwo\nthree\n"


# --------------------------------------------------------------------------------------------
# Structure
# --------------------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(40))
PDF = b"%PDF-1.4\n" + bytes(range(200, 256)) + b"\n%%EOF\n"


def nested_message() -> bytes:
    message = EmailMessage()
    message["From"] = "Karin <karin@example.se>"
    message["To"] = "support@lofte.test"
    message["Subject"] = "Bild och faktura"
    message.set_content("Se bilden.\n")
    message.add_alternative('<p>Se bilden:</p><img src="cid:logo@x" alt="logo">', subtype="html")
    html_part = message.get_payload()[1]
    html_part.add_related(PNG, "image", "png", cid="<logo@x>", filename="logo.png")
    message.add_attachment(PDF, "application", "pdf", filename="faktura.pdf")
    return message.as_bytes()


def test_nested_mixed_alternative_related() -> None:
    parsed = parse_email(nested_message())
    assert parsed.text == "Se bilden.\n"
    assert parsed.html == '<p>Se bilden:</p><img src="cid:logo@x" alt="logo">\n'
    assert [(a.filename, a.content_type, a.content, a.content_id, a.inline) for a in parsed.attachments] == [
        ("logo.png", "image/png", PNG, "logo@x", True),
        ("faktura.pdf", "application/pdf", PDF, "", False),
    ]
    assert parsed.defects == []


def test_inline_image_without_filename_named_from_type() -> None:
    message = raw(
        """
        From: a@b.se
        Content-Type: multipart/related; boundary="rel"

        --rel
        Content-Type: text/html; charset=utf-8

        <p>Logo: <img src="cid:part1.ABC@x"></p>
        --rel
        Content-Type: image/jpeg
        Content-ID: <part1.ABC@x>
        Content-Transfer-Encoding: base64

        /9j/4AAQ
        --rel--
        """
    )
    parsed = parse_email(message)
    assert parsed.text == "Logo:"
    assert [(a.filename, a.content, a.content_id, a.inline) for a in parsed.attachments] == [
        ("attachment-1.jpg", base64.b64decode("/9j/4AAQ"), "part1.ABC@x", True)
    ]


def test_closing_boundary_missing() -> None:
    message = raw(
        """
        From: a@b.se
        Content-Type: multipart/mixed; boundary="XYZ"

        --XYZ
        Content-Type: text/plain; charset=utf-8

        Hej
        --XYZ
        Content-Type: application/pdf; name="a.pdf"
        Content-Transfer-Encoding: base64

        JVBERi0=
        """
    )
    parsed = parse_email(message)
    assert parsed.text == "Hej"
    assert [(a.filename, a.content) for a in parsed.attachments] == [("a.pdf", b"%PDF-")]
    assert parsed.defects == ["multipart closing boundary missing"]


def test_boundary_declared_but_never_present_reads_body_as_text() -> None:
    message = raw(
        """
        From: a@b.se
        Content-Type: multipart/alternative; boundary="never-here"; charset=utf-8

        Hej, det här är bara text.
        """.encode().decode("latin-1")
    )
    parsed = parse_email(message)
    assert parsed.text == "Hej, det här är bara text.\n"
    assert parsed.defects == [
        "multipart boundary never found; body treated as text",
    ]


def test_multipart_without_boundary_parameter() -> None:
    parsed = parse_email(raw("From: a@b.se\nContent-Type: multipart/mixed\n\nJust text.\n"))
    assert parsed.text == "Just text.\n"
    assert parsed.defects == ["multipart without a boundary; body treated as text"]


def forwarded(subject: str | None) -> bytes:
    inner = EmailMessage()
    inner["From"] = "Someone <someone@example.org>"
    if subject is not None:
        inner["Subject"] = subject
    inner["Message-ID"] = "<inner@example.org>"
    inner.set_content("Inner text that must not become the body.\n")
    outer = EmailMessage()
    outer["From"] = "karin@example.se"
    outer["Subject"] = "Fwd"
    outer.set_content("See the attached message.\n")
    outer.add_attachment(inner)
    return outer.as_bytes()


def test_attached_message_is_an_eml_attachment_named_after_its_subject() -> None:
    parsed = parse_email(forwarded("Faktura: mars/april"))
    assert parsed.text == "See the attached message.\n"
    assert len(parsed.attachments) == 1
    attachment = parsed.attachments[0]
    assert attachment.filename == "Faktura mars april.eml"
    assert attachment.content_type == "message/rfc822"
    assert attachment.content.startswith(b"From: Someone <someone@example.org>\r\nSubject: Faktura: mars/april\r\n")
    assert b"Inner text that must not become the body." in attachment.content
    assert parse_email(attachment.content).message_id == "<inner@example.org>"


def test_attached_message_without_subject() -> None:
    parsed = parse_email(forwarded(None))
    assert [a.filename for a in parsed.attachments] == ["attachment-1.eml"]


def test_attached_message_with_base64_transfer_encoding() -> None:
    inner = b"From: x@y.se\r\nSubject: Inner\r\nMessage-ID: <in@y.se>\r\n\r\nInner body\r\n"
    message = (
        b"From: a@b.se\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nOuter\n--B\n"
        b"Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n" + base64.encodebytes(inner) + b"--B--\n"
    )
    parsed = parse_email(message)
    assert parsed.text == "Outer"
    assert [(a.filename, a.content) for a in parsed.attachments] == [("Inner.eml", inner)]
    assert parsed.defects == ["attached message had content-transfer-encoding base64; decoded"]


def attachment_message(disposition: str, content_type: str = "application/pdf") -> bytes:
    return (
        "From: a@b.se\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nBody\n--B\n"
        f"Content-Type: {content_type}\n{disposition}Content-Transfer-Encoding: base64\n\nJVBERi0=\n--B--\n"
    ).encode()


CD = "Content-Disposition: attachment; "


@pytest.mark.parametrize(
    ("disposition", "content_type", "expected"),
    [
        (CD + "filename*=utf-8''R%C3%A4kning%20mars.pdf\n", "application/pdf", "Räkning mars.pdf"),
        (
            CD + "\n filename*0*=UTF-8''%C3%85rsrapport%20;\n filename*1*=2025;\n filename*2=.pdf\n",
            "application/pdf",
            "Årsrapport 2025.pdf",
        ),
        (CD + 'filename="=?utf-8?B?w4Vyc3JhcHBvcnQucGRm?="\n', "application/pdf", "Årsrapport.pdf"),
        # A raw 8-bit "Ã" standing for the byte 0xC3 among the escapes (a broken encoder).
        (CD + "filename*=utf-8''Sk\u00c3%A4rmbild.pdf\n", "application/pdf", "Skärmbild.pdf"),
        ("", 'application/pdf; name="=?iso-8859-1?q?r=E4kning.pdf?="', "räkning.pdf"),
        (CD + "filename=Min faktura (2).pdf\n", "application/pdf", "Min faktura (2).pdf"),
        (CD + 'filename="C:\\\\Users\\\\karin\\\\kvitto.pdf"\n', "application/pdf", "kvitto.pdf"),
        ("Content-Disposition: attachment\n", "application/pdf", "attachment-1.pdf"),
        ("", "image/png", "attachment-1.png"),
        ("", "application/x-unheard-of", "attachment-1.bin"),
        ("", 'application/ms-tnef; name="winmail.dat"', "winmail.dat"),
    ],
)
def test_attachment_names(disposition: str, content_type: str, expected: str) -> None:
    parsed = parse_email(attachment_message(disposition, content_type))
    assert parsed.text == "Body"
    assert [(a.filename, a.content) for a in parsed.attachments] == [(expected, b"%PDF-")]


def test_raw_utf8_attachment_name() -> None:
    message = attachment_message('Content-Disposition: attachment; filename="Räkning.pdf"\n').decode()
    parsed = parse_email(message.encode())
    assert [a.filename for a in parsed.attachments] == ["Räkning.pdf"]


def test_winmail_dat_is_just_an_attachment() -> None:
    parsed = parse_email(attachment_message("", 'application/ms-tnef; name="winmail.dat"'))
    assert [(a.filename, a.content_type, a.inline) for a in parsed.attachments] == [
        ("winmail.dat", "application/ms-tnef", False)
    ]


def test_inline_disposition_marks_attachment_inline() -> None:
    parsed = parse_email(attachment_message('Content-Disposition: inline; filename="scan.pdf"\n'))
    assert [(a.filename, a.inline) for a in parsed.attachments] == [("scan.pdf", True)]


def test_html_only_message() -> None:
    parsed = parse_email(
        leaf(
            b"<html><head><title>T</title></head><body><p>Hej!</p><p>Mvh<br>Karin</p></body></html>",
            "text/html; charset=utf-8",
        )
    )
    assert parsed.text == "Hej!\n\nMvh\nKarin"
    assert parsed.html == "<html><head><title>T</title></head><body><p>Hej!</p><p>Mvh<br>Karin</p></body></html>"


def test_html_charset_from_meta_tag() -> None:
    body = b'<html><head><meta charset="windows-1252"></head><body><p>Pris 5\x80</p></body></html>'
    parsed = parse_email(leaf(body, "text/html"))
    assert parsed.text == "Pris 5€"


def test_empty_plain_alternative_falls_back_to_html() -> None:
    message = raw(
        """
        From: a@b.se
        Content-Type: multipart/alternative; boundary=A

        --A
        Content-Type: text/plain; charset=utf-8

        \x20
        --A
        Content-Type: text/html; charset=utf-8

        <div>Only in <b>HTML</b></div>
        --A--
        """
    )
    parsed = parse_email(message)
    assert parsed.text == "Only in HTML"
    assert parsed.html == "<div>Only in <b>HTML</b></div>"


def test_apple_mail_text_around_inline_image_is_joined() -> None:
    message = raw(
        """
        From: a@b.se
        Content-Type: multipart/mixed; boundary="Apple-Mail=_1"

        --Apple-Mail=_1
        Content-Transfer-Encoding: 7bit
        Content-Type: text/plain; charset=us-ascii

        Before the picture.

        --Apple-Mail=_1
        Content-Transfer-Encoding: base64
        Content-Disposition: inline; filename=IMG_0001.png
        Content-Type: image/png; name="IMG_0001.png"

        iVBORw0KGgo=
        --Apple-Mail=_1
        Content-Transfer-Encoding: 7bit
        Content-Type: text/plain; charset=us-ascii

        After the picture.
        --Apple-Mail=_1--
        """
    )
    parsed = parse_email(message)
    assert parsed.text == "Before the picture.\n\nAfter the picture.\n"
    assert [(a.filename, a.inline, a.content) for a in parsed.attachments] == [
        ("IMG_0001.png", True, b"\x89PNG\r\n\x1a\n")
    ]


def test_html_only_mixed_with_text_footer_keeps_both() -> None:
    message = raw(
        """
        From: a@b.se
        Content-Type: multipart/mixed; boundary=M

        --M
        Content-Type: text/html; charset=utf-8

        <p>The message.</p>
        --M
        Content-Type: text/plain; charset=utf-8

        -- list footer
        --M--
        """
    )
    parsed = parse_email(message)
    assert parsed.text == "The message.\n\n-- list footer\n"
    assert parsed.html == '<p>The message.</p>\n<div style="white-space: pre-wrap">-- list footer</div>'


def test_calendar_alternative_is_an_attachment() -> None:
    message = raw(
        """
        From: a@b.se
        Content-Type: multipart/alternative; boundary=A

        --A
        Content-Type: text/plain; charset=utf-8

        Invitation
        --A
        Content-Type: text/calendar; charset=utf-8; method=REQUEST

        BEGIN:VCALENDAR
        END:VCALENDAR
        --A--
        """
    )
    parsed = parse_email(message)
    assert parsed.text == "Invitation"
    assert [(a.filename, a.content_type, a.content) for a in parsed.attachments] == [
        ("attachment-1.ics", "text/calendar", b"BEGIN:VCALENDAR\nEND:VCALENDAR")
    ]


def test_text_attachment_with_filename_is_not_body() -> None:
    message = attachment_message('Content-Disposition: attachment; filename="log.txt"\n', "text/plain")
    parsed = parse_email(message)
    assert parsed.text == "Body"
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [("log.txt", "text/plain")]


def test_content_type_that_crashes_the_standard_parser_falls_back_to_compat32() -> None:
    # On Python 3.12 the default policy raises IndexError for a parameter name ending in "*" and no value.
    parsed = parse_email(b"From: a@b.se\nSubject: s\nContent-Type: text/plain; charset=utf-8; name*\n\nH\xc3\xa4r\n")
    assert (parsed.subject, parsed.text, parsed.from_address) == ("s", "Här\n", "a@b.se")


# --------------------------------------------------------------------------------------------
# Nothing usable
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \r\n\t\n"])
def test_empty_input_raises(data: bytes) -> None:
    with pytest.raises(EmailParseError):
        parse_email(data)


def test_headers_only_message_parses() -> None:
    parsed = parse_email(b"From: a@b.se\r\nSubject: Only headers\r\n")
    assert (parsed.subject, parsed.text, parsed.html, parsed.attachments) == ("Only headers", "", "", [])


def test_body_without_headers_parses_as_text() -> None:
    parsed = parse_email(b"just some words\nand more\n")
    assert parsed.text == "just some words\nand more\n"
    assert parsed.headers == {}
    assert parsed.from_address == ""


# --------------------------------------------------------------------------------------------
# html_to_text
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("<div>One</div><div>Two</div>", "One\nTwo"),
        ("<div>Hi</div><div><br></div><div>Thanks</div>", "Hi\n\nThanks"),
        ("Line<br>next<br/>last", "Line\nnext\nlast"),
        ("<p>A</p>\n\n<br><br><br><p>B</p>", "A\n\nB"),
        ("<h1>Title</h1>Text", "Title\n\nText"),
        ("<p>  lots   of\n\t white&nbsp;space  </p>", "lots of white space"),
        ("<ul><li>one</li><li>two</li></ul><p>after</p>", "- one\n- two\n\nafter"),
        ("<ol><li><p>first</p></li><li>second</li></ol>", "- first\n- second"),
        ("<p>Hi</p><blockquote><p>Quoted one</p><p>Quoted two</p></blockquote>", "Hi\n\n> Quoted one\n>\n> Quoted two"),
        ("<blockquote>Outer<blockquote>Inner</blockquote></blockquote>", "> Outer\n>\n> > Inner"),
        ('<a href="https://lofte.test/x">the page</a>', "the page (https://lofte.test/x)"),
        ('<a href="https://lofte.test/">https://lofte.test</a>', "https://lofte.test"),
        ('<a href="mailto:karin@example.se">Karin</a>', "Karin"),
        ('<a href="https://t.example/img"><img src="x.png"></a>', ""),
        ('<img src="a.png" alt="Company logo"> and text', "[Company logo] and text"),
        ("<p>Fish &amp; chips &lt;3 &eacute; &#8364;</p>", "Fish & chips <3 é €"),
        ("<head><style>p{}</style><title>T</title></head><body>Body<script>x()</script></body>", "Body"),
        ("<!-- comment -->Visible<!--[if mso]>hidden<![endif]-->", "Visible"),
        ("<pre>  code\n    indented\n</pre>after", "  code\n    indented\n\nafter"),
        ("<table><tr><td>Name</td><td>Karin</td></tr><tr><td>Case</td><td>42</td></tr></table>", "Name Karin\nCase 42"),
        ("<b>bold</b> <i>italic</i>", "bold italic"),
        ("", ""),
    ],
)
def test_html_to_text(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


def test_html_to_text_gmail_reply() -> None:
    html = (
        '<div dir="ltr">Thanks, that worked!<div><br></div><div>Karin</div></div><br>'
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, 2 Mar 2026 Support wrote:<br></div>'
        '<blockquote class="gmail_quote" style="margin:0px">Try <a href="https://lofte.test/help">this</a>.'
        "</blockquote></div>"
    )
    assert html_to_text(html) == (
        "Thanks, that worked!\n\nKarin\n\nOn Mon, 2 Mar 2026 Support wrote:\n\n> Try this (https://lofte.test/help)."
    )
