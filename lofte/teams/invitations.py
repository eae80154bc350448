"""The email that lets a new agent choose their password (and, sent again, lets an agent who forgot theirs
choose a new one): a link with Django's password-reset token, through the outbox in the caller's transaction.

The token is Django's `default_token_generator`: it is made from the agent's password hash and last login,
so it stops working once the password is set (the link works once), and after PASSWORD_RESET_TIMEOUT.
"""

from __future__ import annotations

from email.utils import make_msgid

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from lofte.accounts.models import Agent
from lofte.outbox.models import OutboxMessage
from lofte.outbox.services import outbox_enqueue


def set_password_url(*, agent: Agent) -> str:
    """The absolute address of the agent's set-password page, with a fresh token."""
    uid = urlsafe_base64_encode(force_bytes(agent.pk))
    token = default_token_generator.make_token(agent)
    path = reverse("teams:set_password", kwargs={"uidb64": uid, "token": token})
    return settings.LOFTE_BASE_URL.rstrip("/") + path


def invitation_send(*, agent: Agent) -> OutboxMessage:
    """Queue the email with the set-password link, in the agent's language (the site's when they have none)."""
    days = max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)
    language = agent.language or settings.LANGUAGE_CODE
    with translation.override(language):
        subject = _("Your Lofte account: choose a password")
        text = _(
            "Hello %(name)s,\n\n"
            "You have an account in Lofte, for %(email)s. Choose your password here:\n\n"
            "%(url)s\n\n"
            "The link works once, for %(days)d days. Then log in at %(login)s with your email address and "
            "the password you chose.\n\n"
            "If you did not expect this email, ignore it: nothing changes until the link is used."
        ) % {
            "name": agent.display_name,
            "email": agent.email,
            "url": set_password_url(agent=agent),
            "days": days,
            "login": settings.LOFTE_BASE_URL.rstrip("/") + reverse("accounts:login"),
        }
    return outbox_enqueue(
        channel="email",
        to=agent.email,
        payload={"subject": subject, "text": text},
        external_id=make_msgid(domain=settings.LOFTE_MESSAGE_ID_DOMAIN),
    )
