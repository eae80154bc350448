"""A mailbox's "test connection": log in to its IMAP and SMTP servers and say exactly what failed.

IMAP: connect (SSL/TLS, STARTTLS or plain, as set), log in, open the folder read-only (EXAMINE: nothing is
marked, fetched or moved), log out. SMTP: connect, EHLO, STARTTLS or SSL/TLS as set, log in when a user is
set, QUIT: no MAIL FROM, nothing is sent. Each step has a timeout of a few seconds, and each protocol's
answer is one of: ok, not set up, or failed at a named step for a named reason (DNS, connection refused,
timeout, TLS, authentication, folder missing, the server's own answer). The password is never part of an
answer, even when a server repeats what it was sent.

Only the mailbox's saved settings are tried (the page asks for no host): the test reaches nothing the
fetching and sending of that mailbox would not reach anyway. The connection code is the one fetching uses
(imap_tools' classes, lofte.channels.email.imap's login, which handles non-ASCII credentials).
"""

from __future__ import annotations

import contextlib
import imaplib
import smtplib
import socket
import ssl
from dataclasses import dataclass

from django.utils.translation import gettext as _
from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import MailboxFolderSelectError, MailboxLoginError, UnexpectedCommandStatusError

from lofte.channels.email.imap import _login
from lofte.channels.models import Mailbox, Security

TIMEOUT = 5.0  # seconds, for connecting and for every answer

# outcomes
OK = "ok"
NOT_SET = "not_set"
FAILED = "failed"

# reasons
DNS = "dns"
REFUSED = "refused"
TIMED_OUT = "timeout"
TLS = "tls"
AUTH = "auth"
FOLDER = "folder"
UNSUPPORTED = "unsupported"
SERVER = "server"
NETWORK = "network"


@dataclass(frozen=True)
class ProbeResult:
    protocol: str  # "imap" or "smtp"
    outcome: str  # ok, not_set, failed
    step: str = ""  # where it failed: connect, tls, login, folder, ehlo
    reason: str = ""  # dns, refused, timeout, tls, auth, folder, unsupported, server, network
    message: str = ""  # for the admin, translated, never the password

    @property
    def ok(self) -> bool:
        return self.outcome == OK


@dataclass(frozen=True)
class ProbeReport:
    imap: ProbeResult
    smtp: ProbeResult


class _Failed(Exception):
    def __init__(self, step: str, reason: str, detail: str = "") -> None:
        super().__init__(detail)
        self.step, self.reason, self.detail = step, reason, detail


def _redact(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "•" * 8)
    return text[:300]


def _classify(exc: BaseException) -> tuple[str, str]:
    """(reason, detail) of a network-level failure."""
    if isinstance(exc, socket.gaierror):
        return DNS, exc.strerror or str(exc)
    if isinstance(exc, ConnectionRefusedError):
        return REFUSED, ""
    if isinstance(exc, TimeoutError | socket.timeout):
        return TIMED_OUT, ""
    if isinstance(exc, ssl.SSLError):
        return TLS, str(exc.reason or exc)
    if isinstance(exc, smtplib.SMTPServerDisconnected | imaplib.IMAP4.abort | ConnectionResetError):
        return NETWORK, str(exc) or type(exc).__name__
    if isinstance(exc, OSError):
        return NETWORK, exc.strerror or str(exc) or type(exc).__name__
    return SERVER, str(exc) or type(exc).__name__


def _answer(code: int, message: bytes | str) -> str:
    text = message.decode(errors="replace") if isinstance(message, bytes) else message
    return f"{code} {text}".strip()


# --- IMAP ---------------------------------------------------------------------------------------------------


def _imap_connect(mailbox: Mailbox) -> BaseMailBox:
    host, port = mailbox.imap_host, mailbox.imap_port
    if mailbox.imap_security == Security.SSL:
        return MailBox(host, port, timeout=TIMEOUT, ssl_context=ssl.create_default_context())
    if mailbox.imap_security == Security.STARTTLS:
        return MailBoxStartTls(host, port, timeout=TIMEOUT, ssl_context=ssl.create_default_context())
    return MailBoxUnencrypted(host, port, timeout=TIMEOUT)


def _imap_steps(mailbox: Mailbox) -> None:
    client: BaseMailBox | None = None
    step = "connect"
    try:
        client = _imap_connect(mailbox)  # SSL/TLS and STARTTLS are done here too
        step = "login"
        try:
            _login(client, mailbox)
        except MailboxLoginError as exc:
            raise _Failed("login", AUTH, _server_lines(exc.command_result)) from exc
        step = "folder"
        try:
            client.folder.set(mailbox.imap_folder, readonly=True)  # EXAMINE: nothing changes
        except MailboxFolderSelectError as exc:
            raise _Failed("folder", FOLDER, _server_lines(exc.command_result)) from exc
        with contextlib.suppress(Exception):
            client.logout()
        client = None
    except _Failed:
        raise
    except UnexpectedCommandStatusError as exc:
        raise _Failed(step, SERVER, _server_lines(exc.command_result)) from exc
    except (OSError, imaplib.IMAP4.error, ValueError, UnicodeError) as exc:
        reason, detail = _classify(exc)
        if step == "connect" and reason == SERVER and "STARTTLS" in str(exc).upper():
            reason = UNSUPPORTED
        raise _Failed(step, reason, detail) from exc
    finally:
        if client is not None:
            with contextlib.suppress(Exception):
                client.client.shutdown()


def _server_lines(command_result: tuple[object, ...]) -> str:
    data = command_result[1] if len(command_result) > 1 else b""
    lines = data if isinstance(data, list) else [data]
    return " ".join(
        (line.decode(errors="replace") if isinstance(line, bytes) else str(line)) for line in lines if line
    ).strip()


# --- SMTP ---------------------------------------------------------------------------------------------------


def _smtp_steps(mailbox: Mailbox) -> None:
    host, port = mailbox.smtp_host, mailbox.smtp_port
    context = ssl.create_default_context()
    server: smtplib.SMTP | None = None
    step = "connect"
    try:
        if mailbox.smtp_security == Security.SSL:
            server = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=context)
        else:
            server = smtplib.SMTP(host, port, timeout=TIMEOUT)
        step = "ehlo"
        code, answer = server.ehlo()
        if code != 250:
            raise _Failed("ehlo", SERVER, _answer(code, answer))
        if mailbox.smtp_security == Security.STARTTLS:
            step = "tls"
            if not server.has_extn("starttls"):
                raise _Failed("tls", UNSUPPORTED)
            server.starttls(context=context)
            server.ehlo()
        if mailbox.smtp_user:
            step = "login"
            if not server.has_extn("auth"):
                raise _Failed("login", UNSUPPORTED)
            # one mechanism, the first of PLAIN, LOGIN, CRAM-MD5 the server offers: smtplib's login() would try
            # the next after a refusal, and some servers never answer that second try
            offered = server.esmtp_features.get("auth", "").upper().split()
            mechanism = next((m for m in ("PLAIN", "LOGIN", "CRAM-MD5") if m in offered), None)
            if mechanism is None:
                raise _Failed("login", UNSUPPORTED)
            server.user, server.password = mailbox.smtp_user, mailbox.smtp_password
            try:
                server.auth(mechanism, getattr(server, "auth_" + mechanism.lower().replace("-", "_")))
            except smtplib.SMTPAuthenticationError as exc:
                raise _Failed("login", AUTH, _answer(exc.smtp_code, exc.smtp_error)) from exc
            except smtplib.SMTPException as exc:
                raise _Failed("login", AUTH if "auth" in str(exc).lower() else SERVER, str(exc)) from exc
        with contextlib.suppress(Exception):
            server.quit()
        server = None
    except _Failed:
        raise
    except smtplib.SMTPResponseException as exc:
        raise _Failed(step, SERVER, _answer(exc.smtp_code, exc.smtp_error)) from exc
    except (OSError, smtplib.SMTPException, ValueError, UnicodeError) as exc:
        reason, detail = _classify(exc)
        if step == "tls" and reason in (SERVER, NETWORK):
            reason = TLS
        raise _Failed(step, reason, detail) from exc
    finally:
        if server is not None:
            with contextlib.suppress(Exception):
                server.close()


# --- messages -----------------------------------------------------------------------------------------------


def _message(protocol: str, failure: _Failed, *, where: str, user: str, folder: str) -> str:
    """What failed, for the admin."""
    label = protocol.upper()
    reasons = {
        DNS: _("%(protocol)s: the server name %(where)s could not be found (DNS)."),
        REFUSED: _("%(protocol)s: %(where)s refused the connection (nothing listens on that port)."),
        TIMED_OUT: _("%(protocol)s: %(where)s did not answer within %(seconds)s seconds (step: %(step)s)."),
        TLS: _("%(protocol)s: the TLS handshake with %(where)s failed (step: %(step)s)."),
        AUTH: _("%(protocol)s: %(where)s refused the login of %(user)s: wrong user or password."),
        FOLDER: _("%(protocol)s: logged in, but the folder %(folder)s could not be opened (does it exist?)."),
        SERVER: _("%(protocol)s: %(where)s answered with an error (step: %(step)s)."),
        NETWORK: _("%(protocol)s: the connection to %(where)s failed (step: %(step)s)."),
    }
    if failure.reason == UNSUPPORTED:
        text = {
            "tls": _("%(protocol)s: %(where)s does not offer STARTTLS; choose SSL/TLS or another port."),
            "login": _("%(protocol)s: %(where)s offers no login (AUTH); leave the user empty or use another port."),
        }.get(failure.step, _("%(protocol)s: %(where)s does not offer what the settings ask for (step: %(step)s)."))
    else:
        text = reasons[failure.reason]
    steps = {"connect": _("connect"), "tls": _("TLS"), "ehlo": _("EHLO"), "login": _("log in"), "folder": _("folder")}
    return text % {
        "protocol": label,
        "where": where,
        "seconds": f"{TIMEOUT:g}",
        "step": steps.get(failure.step, failure.step),
        "user": repr(user),
        "folder": repr(folder),
    }


def _run(protocol: str, mailbox: Mailbox) -> ProbeResult:
    host = getattr(mailbox, f"{protocol}_host")
    if not host:
        text = (
            _("IMAP: no server is set (mail is piped or posted in).")
            if protocol == "imap"
            else _("SMTP: no server is set; replies go out through the site's mail settings.")
        )
        return ProbeResult(protocol, NOT_SET, message=text)
    where = f"{host}:{getattr(mailbox, f'{protocol}_port')}"
    user = getattr(mailbox, f"{protocol}_user")
    secrets = (getattr(mailbox, f"{protocol}_password"),)
    try:
        (_imap_steps if protocol == "imap" else _smtp_steps)(mailbox)
    except _Failed as failure:
        text = _message(protocol, failure, where=where, user=user, folder=mailbox.imap_folder)
        if failure.detail:
            text = f"{text} {_('The server said:')} {failure.detail}"
        return ProbeResult(protocol, FAILED, failure.step, failure.reason, _redact(text, *secrets))
    if protocol == "imap":
        text = _("IMAP: logged in to %(where)s as %(user)s and opened %(folder)s.") % {
            "where": where,
            "user": repr(user),
            "folder": repr(mailbox.imap_folder),
        }
    elif user:
        text = _("SMTP: %(where)s accepted the login of %(user)s.") % {"where": where, "user": repr(user)}
    else:
        text = _("SMTP: %(where)s answered (no login: no user is set).") % {"where": where}
    return ProbeResult(protocol, OK, message=_redact(text, *secrets))


def mailbox_connection_test(mailbox: Mailbox) -> ProbeReport:
    """Try the mailbox's saved IMAP and SMTP settings; never raises, never fetches or sends mail, writes nothing."""
    return ProbeReport(imap=_run("imap", mailbox), smtp=_run("smtp", mailbox))
