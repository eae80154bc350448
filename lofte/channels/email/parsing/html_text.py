"""Readable plain text from an HTML body.

Paragraphs, headings, lists, tables, block quotes, pre blocks and rules stand apart with a blank line (inside a
list only on a line of their own); div, li, tr, br and the like start a new line. A list item begins with
"- ", table cells are joined by a space, and each level of blockquote puts "> " before its lines. A link's
URL follows its text in parentheses, unless it is the text itself or a mailto:, cid:, tel:, javascript: or
#fragment link; an image becomes its alt text in brackets. Text in pre keeps its lines and spaces; head,
script, style and the like are dropped, and so are zero-width characters and soft hyphens.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from lofte.channels.email.parsing.headers import _WS_RE

_PARAGRAPH_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote", "pre", "hr"})
_LINE_TAGS = frozenset(
    {
        "div",
        "li",
        "tr",
        "section",
        "article",
        "header",
        "footer",
        "nav",
        "main",
        "aside",
        "address",
        "center",
        "dl",
        "dt",
        "dd",
        "form",
        "fieldset",
        "figure",
        "figcaption",
        "caption",
        "body",
    }
)
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript", "xml"})
_VOID_TAGS = frozenset({"br", "img", "hr", "meta", "link", "input", "wbr", "col", "area", "base", "source"})
_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def _normalise_newlines(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


class _HTMLText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int | None, str]] = []  # (quote depth, text); depth None for blank lines
        self.cur: list[str] = []
        self.cur_depth = 0
        self.depth = 0
        self.pending = 0  # 1: end the line before the next text; 2: and leave a blank line
        self.skip = 0
        self.pre = 0
        self.pre_start = False
        self.list_depth = 0
        self.bullet = False
        self.link: tuple[str, list[str]] | None = None

    # -- output ---------------------------------------------------------------------------

    def _end_line(self) -> None:
        text = "".join(self.cur)
        text = text.rstrip() if self.pre else text.strip()
        if text:
            self.lines.append((self.cur_depth, text))
        else:
            self.lines.append((None, ""))
        self.cur = []

    def _blank(self) -> None:
        if self.lines and self.lines[-1][1]:
            self.lines.append((None, ""))

    def _apply_pending(self) -> None:
        if self.pending:
            if self.cur and "".join(self.cur).strip():
                self._end_line()
            else:
                self.cur = []
            if self.pending == 2:
                self._blank()
            self.pending = 0

    def _request(self, level: int) -> None:
        self.pending = max(self.pending, level)

    def _write(self, text: str) -> None:
        if not self.cur:
            self.cur_depth = self.depth
            text = text.lstrip() if not self.pre else text
            if text and self.bullet:
                self.bullet = False
                self.cur.append("- ")
        elif not self.pre and text.startswith(" ") and self.cur[-1].endswith(" "):
            text = text.lstrip()
        if text:
            self.cur.append(text)
            if self.link is not None:
                self.link[1].append(text)

    # -- parser callbacks ------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            if tag != "head" or not self.skip:
                self.skip += 1
            return
        if tag == "body" and self.skip:
            self.skip = 0  # an unclosed <head>
        if self.skip:
            return
        if tag == "br":
            self._apply_pending()
            if not self.cur:
                self.cur_depth = self.depth
            self._end_line()
        elif tag in _PARAGRAPH_TAGS:
            # Inside a list, blocks only end the line: list items stay together.
            self._request(1 if self.list_depth else 2)
            if tag == "blockquote":
                self.depth += 1
            elif tag == "pre":
                self.pre += 1
                self.pre_start = True
            elif tag in ("ul", "ol"):
                self.list_depth += 1
        elif tag in _LINE_TAGS:
            self._request(1)
            if tag == "li":
                self.bullet = True
        elif tag in ("td", "th"):
            if self.cur and not self.cur[-1].endswith(" "):
                self._write(" ")
        elif tag == "a":
            href = ""
            for key, value in attrs:
                if key == "href" and value:
                    href = value.strip()
            self.link = (href, [])
        elif tag == "img":
            alt = ""
            for key, value in attrs:
                if key == "alt" and value:
                    alt = _WS_RE.sub(" ", value).strip()
            if alt:
                self._apply_pending()
                if self.cur and not self.cur[-1].endswith(" "):
                    self._write(" ")
                self._write(f"[{alt}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            if self.skip:
                self.skip -= 1
            return
        if self.skip:
            return
        if tag in _PARAGRAPH_TAGS:
            if tag in ("ul", "ol"):
                self.list_depth = max(0, self.list_depth - 1)
            self._request(1 if self.list_depth else 2)
            if tag == "blockquote":
                self.depth = max(0, self.depth - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)
        elif tag in _LINE_TAGS:
            self._request(1)
        elif tag == "a" and self.link is not None:
            href, pieces = self.link
            self.link = None
            label = _WS_RE.sub(" ", "".join(pieces)).strip()
            if label and href and not _same_link(label, href):
                scheme = href.split(":", 1)[0].lower() if ":" in href else ""
                if scheme not in ("mailto", "cid", "javascript", "tel") and not href.startswith("#"):
                    self._write(f" ({href})")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        data = _INVISIBLE_RE.sub("", data)
        if self.pre:
            data = _normalise_newlines(data).replace("\xa0", " ")
            if self.pre_start:
                self.pre_start = False
                data = data.removeprefix("\n")
            if data.strip():
                self._apply_pending()
            for i, line in enumerate(data.split("\n")):
                if i:
                    if not self.cur:
                        self.cur_depth = self.depth
                    self._end_line()
                if line:
                    self._write(line)
            return
        if not data or data.isspace():
            if self.cur and not self.cur[-1].endswith(" ") and not self.pending:
                self._write(" ")
            return
        self._apply_pending()
        self._write(_WS_RE.sub(" ", data))

    # -- result ---------------------------------------------------------------------------

    def result(self) -> str:
        if self.cur:
            self._end_line()
        lines = self.lines
        # Blank lines take the quote depth of the lighter of their neighbours; runs collapse to one.
        out: list[str] = []
        n = len(lines)
        prev_depth = 0
        i = 0
        while i < n:
            depth, text = lines[i]
            if depth is not None:
                out.append(("> " * depth + text) if depth else text)
                prev_depth = depth
                i += 1
                continue
            j = i
            while j < n and lines[j][0] is None:
                j += 1
            if out and j < n:
                next_depth = lines[j][0] or 0
                blank_depth = min(prev_depth, next_depth)
                out.append(("> " * blank_depth).rstrip())
            i = j
        return "\n".join(out).strip("\n")


def _same_link(label: str, href: str) -> bool:
    def norm(value: str) -> str:
        value = value.strip().lower()
        for prefix in ("https://", "http://"):
            if value.startswith(prefix):
                value = value[len(prefix) :]
                break
        return value.rstrip("/")

    return label == href or norm(label) == norm(href)


def html_to_text(html: str) -> str:
    """Readable plain text from an HTML body, laid out as the module docstring says. Never raises."""
    if not html:
        return ""
    parser = _HTMLText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: S110 - HTMLParser is lenient; never fail a parse on it
        pass
    return parser.result()
