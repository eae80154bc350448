"""Images in a reply: the reply box writes `![alt](cid:name.png)` where the agent pasted, dropped or inserted an
image, and sends the file with the reply. An email carries each such file as an inline part of its HTML (its own
Content-ID, in a multipart/related with the HTML); the timeline and the portal show it from the stored file. The
plain-text part (and any other channel) reads "[alt]".

An image that is named but not sent with the reply, or a file that is not an image (by its stated type and its
first bytes, as the case page checks before showing one), is refused with the name: nothing is sent."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext as _

from lofte.cases.attachments import is_image, previewable
from lofte.core.errors import ValidationFailed
from lofte.core.markdown import image_refs

if TYPE_CHECKING:
    from lofte.cases.services import AttachmentInput


def new_content_id() -> str:
    return f"img.{secrets.token_hex(8)}@{settings.LOFTE_MESSAGE_ID_DOMAIN}"


def inline_images(
    *, body: str, attachments: Sequence[AttachmentInput], email: bool
) -> tuple[list[AttachmentInput], dict[str, str]]:
    """The reply's files, those shown as images with a Content-ID of their own, and the map from each image's
    name to its `cid:` for the email's HTML. Raises ValidationFailed (field "body") naming the image when one is
    not attached, is no image, or the reply does not go by email."""
    names = image_refs(body)
    if not names:
        return list(attachments), {}
    if not email:
        raise ValidationFailed(
            _("Images in the text go with email replies only; attach %(name)s as a file instead.") % {"name": names[0]},
            field="body",
        )
    by_name = {item.filename: i for i, item in enumerate(attachments)}
    files = list(attachments)
    images: dict[str, str] = {}
    for name in names:
        index = by_name.get(name)
        if index is None:
            raise ValidationFailed(
                _("The image %(name)s is in the text but not attached: attach it again, or remove it from the text.")
                % {"name": name},
                field="body",
            )
        item = files[index]
        if not (is_image(item.content_type) and previewable(item.content_type, item.content[:64])):
            raise ValidationFailed(
                _("%(name)s is shown as an image in the text, but it is not a PNG, JPEG, GIF or WebP image.")
                % {"name": name},
                field="body",
            )
        if not item.content_id:
            files[index] = dataclasses.replace(item, content_id=new_content_id())
        images[name] = "cid:" + files[index].content_id
    return files, images
