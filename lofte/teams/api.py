"""The API of the settings the teams app writes: the texts of the notices Lofte sends customers. Admins only. Thin."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.cases import notices
from lofte.core.schemas import ErrorOut
from lofte.teams import services
from lofte.teams.schemas import LanguagePath, NoticeIn, NoticeKindPath, NoticeOut

router = Router(tags=["settings"])


def _admin(request: HttpRequest) -> Agent:
    agent: Agent = request.auth  # type: ignore[attr-defined]
    access.require(agent, access.Perm.CONFIGURE)
    return agent


@router.get(
    "/settings/notices",
    response={200: list[NoticeOut], 403: ErrorOut},
    summary="The notices Lofte sends customers, in every language: the built-in text and the admins' own",
    description="Admins only (403 for anyone else).",
)
def list_notices(request: HttpRequest) -> object:
    _admin(request)
    return notices.notice_items()


@router.put(
    "/settings/notices/{kind}/{language}",
    response={200: NoticeOut, 403: ErrorOut, 404: ErrorOut},
    summary="Write the admins' text for a notice in a language",
    description="Admins only (403 for anyone else); 404 for a notice or language Lofte does not have. A placeholder "
    "the notice does not offer, anything but a bare name in braces, or a text longer than Lofte's SMS limit for a "
    "notice that may go by SMS is a 422 naming it.",
)
def put_notice(request: HttpRequest, kind: NoticeKindPath, language: LanguagePath, data: NoticeIn) -> object:
    template = services.notice_template_save(actor=_admin(request), kind=kind, language=language, body=data.body)
    return notices.notice_item(kind, language, template)


@router.delete(
    "/settings/notices/{kind}/{language}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Remove the admins' text for a notice in a language: the built-in text is sent again",
    description="Admins only (403 for anyone else); 404 for a notice or language Lofte does not have. Nothing to "
    "remove is a 204 too.",
)
def delete_notice(request: HttpRequest, kind: NoticeKindPath, language: LanguagePath) -> object:
    services.notice_template_reset(actor=_admin(request), kind=kind, language=language)
    return Status(204, None)
