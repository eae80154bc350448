"""What an agent writes is Markdown: **bold**, *italic*, lists, links, quotes, code. The customer's email gets it as
HTML next to the text (which stays as written, readable as it is); nothing the agent types becomes HTML of its own
(raw HTML in the text is shown as text) and the result is sanitised like any HTML from outside."""

from __future__ import annotations

from markdown_it import MarkdownIt

from lofte.core.html import sanitise_html

_md = MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": True}).enable(["linkify", "strikethrough"])


def markdown_html(text: str) -> str:
    """The HTML of `text`, sanitised (links only to http, https, mailto and tel; no images from elsewhere are
    fetched by the customer's mail program unless the agent wrote one on purpose)."""
    if not text.strip():
        return ""
    return sanitise_html(_md.render(text.replace("\r\n", "\n"))).strip()
