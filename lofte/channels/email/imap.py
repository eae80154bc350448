"""Fetching mail from IMAP mailboxes into `email_ingest`.

One poll of a mailbox: connect (SSL/TLS, STARTTLS or plain, 30 s timeout),
log in, open the folder, and take up to `limit` messages in UID order: in
"move" mode every message in the folder, in "seen" mode the unread ones.
Each is fetched with BODY.PEEK[] (reading it does not mark it read) and
its exact bytes, as the server stores them, go to `email_ingest`. Only after
ingest returned (the raw bytes are stored) is the message moved to the
processed folder or flagged \\Seen, so a crash between the two costs at most
a message fetched twice, which ingest recognises as a duplicate.

A mailbox that cannot be reached, refuses the login or does not answer in
time is not an exception: the poll records the reason in `last_error` (and
clears it after a good poll), sets `last_polled_at`, logs it, and returns it
in the report. A message that ingest raises on (it should not: it
quarantines) is logged and left where it is, unread; the rest go on.

The processed folder is written with "/" between levels ("Lofte/Processed");
it is translated to the server's hierarchy delimiter ("Lofte.Processed" on
a Maildir++ Dovecot) and put under the personal namespace prefix where the
server has one ("INBOX.Lofte.Processed" on Courier/Cyrus). It is created
(and subscribed) when missing.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import socket
import ssl
from collections import Counter
from dataclasses import dataclass, field

from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError, UnexpectedCommandStatusError
from imap_tools.imap_utf7 import utf7_decode
from imap_tools.utils import encode_folder

from lofte.channels.email.ingest import email_ingest
from lofte.channels.models import AfterFetch, Mailbox, Security, Source
from lofte.core import clock

logger = logging.getLogger(__name__)

__all__ = ["PollReport", "mailbox_poll", "mailboxes_poll"]

TIMEOUT = 30.0  # seconds, for connecting and for every answer after that
FAILED = "failed"  # the outcomes key for messages ingest raised on


@dataclass
class PollReport:
    fetched: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    mailbox: str = ""


class PollError(Exception):
    """The poll cannot go on; the message is for the admin (shown as the mailbox's last error)."""


def mailboxes_poll(*, limit: int = 200) -> list[PollReport]:
    """Poll every active mailbox that has an IMAP server, one after the other."""
    mailboxes = Mailbox.objects.filter(is_active=True).exclude(imap_host="").order_by("name")
    return [mailbox_poll(mailbox, limit=limit) for mailbox in mailboxes]


def mailbox_poll(mailbox: Mailbox, *, limit: int = 200) -> PollReport:
    """Fetch up to `limit` new messages from the mailbox's IMAP folder into ingest. Never raises."""
    report = PollReport(mailbox=mailbox.name)
    outcomes: Counter[str] = Counter()
    failed: list[str] = []
    try:
        _poll(mailbox, limit=limit, report=report, outcomes=outcomes, failed=failed)
    except PollError as exc:
        report.error = str(exc)
    except Exception as exc:  # never raise out of a poll: the next one will try again
        logger.exception("IMAP poll of mailbox %s failed unexpectedly", mailbox.name)
        report.error = f"Unexpected error: {type(exc).__name__}: {exc}"
    report.outcomes = dict(outcomes)
    if failed and report.error is None:
        report.error = (
            f"{len(failed)} message(s) could not be processed and were left in {mailbox.imap_folder} "
            f"(UID {', '.join(failed)}); see the server log."
        )
    if report.error:
        logger.warning("IMAP poll of mailbox %s: %s", mailbox.name, report.error)
    elif report.fetched:
        logger.info("IMAP poll of mailbox %s: %d fetched, %s", mailbox.name, report.fetched, report.outcomes)
    _record(mailbox, report.error)
    return report


def _record(mailbox: Mailbox, error: str | None) -> None:
    now = clock.now()
    # an UPDATE of the two fields only: an admin editing the mailbox meanwhile keeps their changes
    try:
        Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=now, last_error=error or "")
    except Exception:  # the database is away: the report still says what happened
        logger.exception("Could not record the IMAP poll of mailbox %s", mailbox.name)
    mailbox.last_polled_at = now
    mailbox.last_error = error or ""


# --- one poll ---------------------------------------------------------------------------


def _poll(mailbox: Mailbox, *, limit: int, report: PollReport, outcomes: Counter[str], failed: list[str]) -> None:
    where = f"{mailbox.imap_host}:{mailbox.imap_port}"
    step = f"Could not connect to {where}"
    client: BaseMailBox | None = None
    clean = False
    try:
        client = _connect(mailbox)
        step = f"Could not log in to {where} as {mailbox.imap_user!r}"
        _login(client, mailbox)
        capabilities = _capabilities(client)
        step = f"Could not open the folder {mailbox.imap_folder!r} on {where}"
        client.folder.set(mailbox.imap_folder)
        step = f"Could not search {mailbox.imap_folder!r} on {where}"
        move = mailbox.after_fetch == AfterFetch.MOVE
        uids = client.uids("UNDELETED" if move else "UNSEEN UNDELETED")
        uids = sorted(uids, key=int)[: max(limit, 0)]
        if not uids:
            return
        target = ""
        if move:
            step = f"Could not prepare the processed folder {mailbox.processed_folder!r} on {where}"
            target = _processed_folder(client, mailbox, capabilities)
        for uid in uids:
            step = f"Could not fetch message UID {uid} from {where}"
            raw = _fetch_raw(client, uid)
            if raw is None:  # expunged meanwhile (another client)
                continue
            report.fetched += 1
            try:
                result = email_ingest(raw, mailbox=mailbox, source=Source.IMAP)
            except Exception:
                logger.exception("Ingest failed for UID %s of mailbox %s; left in place", uid, mailbox.name)
                outcomes[FAILED] += 1
                failed.append(uid)
                continue
            outcomes[str(result.outcome)] += 1
            if move:
                step = f"Could not move message UID {uid} to {target!r} on {where}"
                _move(client, uid, target, capabilities)
            else:
                step = f"Could not mark message UID {uid} as read on {where}"
                _check(client.client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)"))
        clean = True
    except PollError as exc:
        raise PollError(f"{step}: {exc}") from exc
    except (OSError, imaplib.IMAP4.error, ImapToolsError, ValueError, UnicodeError) as exc:
        raise PollError(f"{step}: {_describe(exc)}") from exc
    finally:
        if client is not None:
            _close(client, clean=clean)


def _connect(mailbox: Mailbox) -> BaseMailBox:
    host, port = mailbox.imap_host, mailbox.imap_port
    if mailbox.imap_security == Security.SSL:
        return MailBox(host, port, timeout=TIMEOUT, ssl_context=ssl.create_default_context())
    if mailbox.imap_security == Security.STARTTLS:
        return MailBoxStartTls(host, port, timeout=TIMEOUT, ssl_context=ssl.create_default_context())
    return MailBoxUnencrypted(host, port, timeout=TIMEOUT)


def _login(client: BaseMailBox, mailbox: Mailbox) -> None:
    user, password = mailbox.imap_user, mailbox.imap_password
    if (user + password).isascii():
        client.login(user, password, initial_folder=None)
    else:  # LOGIN is ASCII only; AUTHENTICATE PLAIN carries UTF-8
        client.login_utf8(user, password, initial_folder=None)


def _close(client: BaseMailBox, *, clean: bool) -> None:
    """LOGOUT after a good poll; after an error just close (a server that timed out would keep us waiting)."""
    if clean:
        try:
            client.logout()
            return
        except Exception:  # noqa: S110 - the connection may already be gone; nothing to save
            pass
    with contextlib.suppress(Exception):
        client.client.shutdown()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {TIMEOUT:g} seconds"
    if isinstance(exc, UnexpectedCommandStatusError):
        return _server_text(exc.command_result)
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc.strerror})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc) or type(exc).__name__
    return text


def _server_text(command_result: tuple[object, ...]) -> str:
    typ, data = command_result[0], command_result[1]
    lines = data if isinstance(data, list) else [data]
    parts = [
        line.decode(errors="replace") if isinstance(line, bytes) else str(line) for line in lines if line is not None
    ]
    return f"the server answered {typ}: {' '.join(parts).strip() or '(nothing)'}"


def _check(result: tuple[str, list[object]]) -> None:
    if result[0] != "OK":
        raise PollError(_server_text(result))


def _capabilities(client: BaseMailBox) -> set[str]:
    """The capabilities after login (servers announce MOVE, UIDPLUS, NAMESPACE only then)."""
    typ, data = client.client.capability()
    if typ == "OK" and data and isinstance(data[-1], bytes):
        return set(data[-1].decode(errors="replace").upper().split())
    return {c.upper() for c in client.client.capabilities}


# --- messages -----------------------------------------------------------------------------


def _fetch_raw(client: BaseMailBox, uid: str) -> bytes | None:
    """The message's bytes exactly as the server has them (the BODY[] literal), without setting \\Seen."""
    typ, data = client.client.uid("FETCH", uid, "(UID BODY.PEEK[])")
    _check((typ, data))
    for item in data:
        # other untagged FETCH answers (flag changes by other clients) may come along: take ours
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            head = item[0].decode(errors="replace") if isinstance(item[0], bytes) else str(item[0])
            if re.search(rf"\bUID {uid}\b", head) and "BODY[]" in head.upper():
                raw: bytes = item[1]
                return raw
    return None


def _move(client: BaseMailBox, uid: str, target: str, capabilities: set[str]) -> None:
    folder = encode_folder(target).decode("ascii")  # modified UTF-7, quoted: ASCII
    if "MOVE" in capabilities:
        _check(client.client.uid("MOVE", uid, folder))
        return
    _check(client.client.uid("COPY", uid, folder))
    _check(client.client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)"))
    if "UIDPLUS" in capabilities:
        _check(client.client.uid("EXPUNGE", uid))
    # Without UIDPLUS a plain EXPUNGE would also remove what people deleted but kept; the
    # message stays marked \Deleted (polls skip those) until a mail client expunges it.


# --- the processed folder -------------------------------------------------------------------

_QUOTED = r'"((?:[^"\\]|\\.)*)"'
_NAMESPACE = re.compile(rf"^\s*\(\({_QUOTED}\s+(?:{_QUOTED}|NIL)\)", re.IGNORECASE)


def _unquote(text: str | None) -> str:
    return re.sub(r"\\(.)", r"\1", text) if text else ""


def _hierarchy(client: BaseMailBox, capabilities: set[str]) -> tuple[str, str]:
    """The personal namespace's prefix and hierarchy delimiter ("" for a flat server)."""
    if "NAMESPACE" in capabilities:
        typ, data = client.client.namespace()
        if typ == "OK" and data and isinstance(data[0], bytes):
            match = _NAMESPACE.match(data[0].decode(errors="replace"))
            if match:
                return utf7_decode(_unquote(match.group(1)).encode()), _unquote(match.group(2))
    for info in client.folder.list("", ""):  # LIST "" "": the root and its delimiter
        return "", "" if info.delim.upper() == "NIL" else info.delim
    return "", ""


def _processed_folder(client: BaseMailBox, mailbox: Mailbox, capabilities: set[str]) -> str:
    """The processed folder's name on this server; created (and subscribed) when missing."""
    prefix, delimiter = _hierarchy(client, capabilities)
    levels = [level for level in mailbox.processed_folder.split("/") if level.strip()]
    if not levels:
        raise PollError("the processed folder has no name")
    name = delimiter.join(levels) if delimiter else mailbox.processed_folder
    if prefix and not name.startswith(prefix) and name.upper() != "INBOX":
        name = prefix + name
    if name == mailbox.imap_folder:
        raise PollError("it is the folder that is fetched; choose another one")
    if not any(info.name == name for info in client.folder.list("", name)):
        client.folder.create(name)
        try:
            client.folder.subscribe(name, True)
        except ImapToolsError:  # a server without subscriptions still has the folder
            logger.info("Could not subscribe to %s on mailbox %s", name, mailbox.name)
    return name
