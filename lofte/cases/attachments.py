"""Which attachments the case page may show in the browser: images and PDFs, by their first bytes as well as by the
type their sender stated (served with that type and `nosniff`, so a file is only ever read as what it is)."""

from __future__ import annotations

# the stated type, and how a file of that type begins
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),  # RIFF....WEBP: checked below
    "application/pdf": (b"%PDF-",),
}


def previewable(content_type: str, head: bytes) -> bool:
    """True when a file stated as `content_type` and beginning with `head` may be shown inline."""
    starts = SIGNATURES.get(content_type.lower().split(";")[0].strip())
    if not starts or not head.startswith(starts):
        return False
    return content_type != "image/webp" or head[8:12] == b"WEBP"


def is_image(content_type: str) -> bool:
    """An image the timeline shows as a thumbnail (the file itself is checked when it is served)."""
    return content_type.lower() in SIGNATURES and content_type.lower().startswith("image/")
