"""What an agent writes is Markdown: **bold**, *italic*, lists, links, quotes, code, and images of the files sent
with it (`![alt](cid:name.png)`). The customer's email gets it as HTML next to the text (which stays as written,
readable as it is, an image as "[alt]"); nothing the agent types becomes HTML of its own (raw HTML in the text is
shown as text) and the result is sanitised like any HTML from outside."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Mapping
from urllib.parse import unquote

from markdown_it import MarkdownIt

from lofte.core.html import sanitise_html

_md = MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": True}).enable(["linkify", "strikethrough"])

# an image of a file sent with the text: ![alt](cid:name) (the form the reply box writes)
_IMAGE_REF = re.compile(r"!\[([^\]\n]*)\]\(\s*<?cid:([^)\s>]+)>?(?:\s+\"[^\"\n]*\")?\s*\)")
_CID_SRC = re.compile(r'src="cid:([^"]*)"')


def image_refs(text: str) -> list[str]:
    """The names of the files `text` shows as images (`![alt](cid:name)`), in order, each once."""
    found: list[str] = []
    for match in _IMAGE_REF.finditer(text or ""):
        name = unquote(match.group(2))
        if name not in found:
            found.append(name)
    return found


def images_as_text(text: str) -> str:
    """The text with each image of a sent file written as "[alt]" (the plain-text part of an email, an SMS)."""
    return _IMAGE_REF.sub(lambda m: f"[{m.group(1).strip() or unquote(m.group(2))}]", text or "")


def markdown_html(text: str, *, images: Mapping[str, str] | None = None) -> str:
    """The HTML of `text`, sanitised (links only to http, https, mailto and tel; no images from elsewhere are
    fetched by the customer's mail program unless the agent wrote one on purpose).

    `images` maps the name of a file shown as an image (`cid:name`) to where the image is read from: the
    email's own part (`cid:<content-id>`) or an address on this site; a name it does not hold stays as written."""
    if not text.strip():
        return ""
    out = sanitise_html(_md.render(text.replace("\r\n", "\n"))).strip()
    if images:

        def source(match: re.Match[str]) -> str:
            name = unquote(html_lib.unescape(match.group(1)))
            target = images.get(name)
            return f'src="{html_lib.escape(target, quote=True)}"' if target is not None else match.group(0)

        out = _CID_SRC.sub(source, out)
    return out
