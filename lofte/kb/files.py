"""Files and images in articles: kept with the article, named plainly, written into the Markdown as
`![text](file:NAME)` (an image shown in place) or `[text](file:NAME)` (a link to the file); each place that shows
an article turns those into its own address for the file (the help centre's for readers, the agents' own)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from urllib.parse import unquote

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from lofte.accounts.access import Perm, require
from lofte.accounts.models import Agent
from lofte.core import uploads
from lofte.core.errors import ValidationFailed
from lofte.kb.models import Article, ArticleFile

KINDS = ("png", "jpg", "jpeg", "gif", "webp", "pdf")
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
MAX_FILES = 50
_PLAIN = re.compile(r"[^A-Za-z0-9_-]+")
_REF = re.compile(r"(!?)\[([^\]\n]*)\]\(\s*(?:<file:([^>\n]+)>|file:([^)\s]+))(?:\s+\"[^\"\n]*\")?\s*\)")


def plain_name(name: str, taken: set[str]) -> str:
    """A name that can stand in Markdown as it is: letters a-z, digits, - and _, its extension kept."""
    name = uploads.safe_filename(name)
    ext = uploads.extension(name)
    stem = name[: -(len(ext) + 1)] if ext else name
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = _PLAIN.sub("-", ascii_stem).strip("-")[:60] or "file"
    candidate, n = f"{stem}.{ext}" if ext else stem, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}-{n}.{ext}" if ext else f"{stem}-{n}"
    return candidate


@transaction.atomic
def article_file_add(*, actor: Agent | None, article: Article, upload: UploadedFile) -> ArticleFile:
    """Keep `upload` with the article: a PNG, JPEG, GIF, WebP or PDF, proved by its content, within the size
    limit; refused by name otherwise, and nothing kept."""
    if actor is not None:
        require(actor, Perm.KB_WRITE)
    original = uploads.safe_filename(upload.name or "")
    ext = uploads.extension(original)
    if ext not in KINDS:
        raise ValidationFailed(
            _("'%(name)s' cannot be added: an article takes PNG, JPEG, GIF and WebP images and PDF files.")
            % {"name": original[:80]},
            field="file",
        )
    if (upload.size or 0) > settings.LOFTE_MAX_ATTACHMENT_BYTES:
        raise ValidationFailed(
            _("'%(name)s' is too large: at most %(max)s MB.")
            % {"name": original[:80], "max": settings.LOFTE_MAX_ATTACHMENT_BYTES // 2**20},
            field="file",
        )
    problem = uploads.check(ext, upload.file) if upload.file is not None else uploads.check_bytes(None, b"")
    if problem is not None:
        raise ValidationFailed(f"{original[:80]}: {problem.reason}", field="file")
    taken = set(article.files.values_list("name", flat=True))
    if len(taken) >= MAX_FILES:
        raise ValidationFailed(_("An article can have at most %(max)s files.") % {"max": MAX_FILES}, field="file")
    name = plain_name(original, taken)
    kept = ArticleFile(article=article, name=name, content_type=uploads.content_type(ext), size=upload.size or 0)
    kept.file.save(name, upload, save=False)
    kept.save()
    return kept


@transaction.atomic
def article_file_delete(*, actor: Agent | None, file: ArticleFile) -> None:
    if actor is not None:
        require(actor, Perm.KB_WRITE)
    stored = file.file
    file.delete()
    transaction.on_commit(lambda: stored.delete(save=False))


def markdown_with_files(text: str, files: Mapping[str, ArticleFile], url: Callable[[ArticleFile], str]) -> str:
    """`text` with each `file:NAME` reference pointing at `url(file)`; a reference to a file the article does not
    have becomes its text (an image's alt)."""

    def swap(match: re.Match[str]) -> str:
        bang, label = match.group(1), match.group(2)
        name = unquote((match.group(3) or match.group(4) or "").strip())
        found = files.get(name)
        if found is None:
            return label
        return f"{bang}[{label}]({url(found)})"

    return _REF.sub(swap, text)


def markdown_file_ref(file: ArticleFile) -> str:
    """What the editor offers to paste for a file: an image in place, or a link to a PDF."""
    if file.content_type in IMAGE_TYPES:
        return f"![{file.name}](file:{file.name})"
    return f"[{file.name}](file:{file.name})"


def file_response(found: ArticleFile) -> FileResponse:
    """The file as a response: an image shown in place with its type, anything else a download
    (application/octet-stream), never sniffed; 404 when the stored file is gone."""
    try:
        handle = found.file.open("rb")
    except (FileNotFoundError, ValueError) as error:
        raise Http404 from error
    image = found.content_type in IMAGE_TYPES
    response = FileResponse(
        handle,
        as_attachment=not image,
        filename=found.name,
        content_type=found.content_type if image else "application/octet-stream",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
