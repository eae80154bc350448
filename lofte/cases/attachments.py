"""Which attachments the case page may show in the browser: images and PDFs, by their first bytes (the upload
checker's own tests, lofte.core.uploads) as well as by the type their sender stated. They are served with that
type and `nosniff`, so a file is only ever read as what it is."""

from __future__ import annotations

from lofte.core.uploads import KINDS, Kind

# what the browser may show: the stated type -> the kind whose first bytes it must have (no SVG: it runs script)
SHOWN: dict[str, Kind] = {KINDS[ext].content_type: KINDS[ext] for ext in ("pdf", "jpg", "png", "gif", "webp")}


def previewable(content_type: str, head: bytes) -> bool:
    """True when a file stated as `content_type` and beginning with `head` may be shown inline."""
    kind = SHOWN.get(content_type.lower().split(";")[0].strip())
    return kind is not None and kind.magic(head)


def is_image(content_type: str) -> bool:
    """An image the timeline shows as a thumbnail (the file itself is checked when it is served)."""
    return content_type.lower() in SHOWN and content_type.lower().startswith("image/")
