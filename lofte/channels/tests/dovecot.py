"""A throwaway Dovecot IMAP server on loopback for tests (Debian's dovecot-imapd, run in the foreground).

    def test_something(imap_server):
        user = imap_server.new_user()          # a fresh, empty account
        imap_server.append(raw_bytes, user=user)
        ... poll with host=imap_server.host, port=imap_server.port, user, imap_server.password ...
        assert imap_server.messages("INBOX", user=user) == []

The `imap_server` fixture (session-scoped, registered in this folder's conftest.py) writes its own
dovecot.conf into a temporary directory (no /etc/dovecot), listens on a free 127.0.0.1 port with
plain-text login, and is stopped at the end of the session. Any user name logs in with `password`
(a static passdb); each user has a Maildir of their own, created on first login. `dovecot_server()`
starts another one, e.g. with "/" as the hierarchy separator instead of Maildir++'s ".".

Dovecot is required, not optional: without /usr/sbin/dovecot the fixture fails and names
scripts/ensure-dovecot, which installs it.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from imap_tools import MailBoxUnencrypted

DOVECOT = "/usr/sbin/dovecot"
HOST = "127.0.0.1"
PASSWORD = "secret"
START_TIMEOUT = 20.0

CONFIG = """\
# A throwaway test instance (lofte/channels/tests/dovecot.py); nothing of /etc/dovecot is read.
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
protocols = imap
listen = {host}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# no waiting after a wrong password (see also anvil-auth-penalty below)
auth_failure_delay = 0
first_valid_uid = 1
mail_location = maildir:{dir}/mail/%u
mail_fsync = never
{users}
namespace inbox {{
  inbox = yes
  separator = {separator}
}}
passdb {{
  driver = static
  args = password={password} nodelay=yes
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={dir}/mail/%u
}}
service imap-login {{
  {login_chroot}
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  {anvil_chroot}
  # no auth penalty: after a wrong password the next login from 127.0.0.1 would wait seconds
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


@dataclass(frozen=True)
class StoredMessage:
    uid: int
    flags: tuple[str, ...]
    raw: bytes


@dataclass(frozen=True)
class ImapServer:
    host: str
    port: int
    user: str
    password: str
    directory: Path
    separator: str

    def new_user(self) -> str:
        """A user nobody has used yet: an empty INBOX, so that tests do not see each other's mail."""
        return f"u{uuid.uuid4().hex[:12]}"

    @contextmanager
    def connect(self, user: str | None = None) -> Iterator[MailBoxUnencrypted]:
        mailbox = MailBoxUnencrypted(self.host, port=self.port, timeout=10)
        mailbox.login(user or self.user, self.password, initial_folder=None)
        try:
            yield mailbox
        finally:
            mailbox.logout()

    def append(self, raw: bytes, folder: str = "INBOX", *, user: str | None = None, flags: Sequence[str] = ()) -> None:
        """Store these exact bytes as a message (use CRLF line ends: IMAP hands messages out with CRLF)."""
        with self.connect(user) as mailbox:
            mailbox.append(raw, folder, flag_set=list(flags))

    def folders(self, *, user: str | None = None) -> list[str]:
        with self.connect(user) as mailbox:
            return sorted(info.name for info in mailbox.folder.list())

    def messages(self, folder: str = "INBOX", *, user: str | None = None) -> list[StoredMessage]:
        """Every message in the folder, in UID order, read without marking anything read."""
        with self.connect(user) as mailbox:
            mailbox.folder.set(folder, readonly=True)
            typ, data = mailbox.client.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[])")
            assert typ == "OK", data
            found = []
            for item in data:
                if not isinstance(item, tuple):
                    continue
                head = item[0].decode()
                uid = re.search(r"\bUID (\d+)", head)
                flags = re.search(r"\bFLAGS \(([^)]*)\)", head)
                assert uid and flags, head
                found.append(StoredMessage(uid=int(uid[1]), flags=tuple(flags[1].split()), raw=item[1]))
            return sorted(found, key=lambda m: m.uid)


def free_port() -> int:
    """A loopback port nobody listens on (the kernel picked it; it is free once closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _config(directory: Path, port: int, separator: str) -> str:
    if os.geteuid() == 0:
        # Root: Dovecot's own users run the login and auth processes; mail belongs to nobody.
        nobody = pwd.getpwnam("nobody")
        uid, gid = nobody.pw_name, grp.getgrgid(nobody.pw_gid).gr_name
        (directory / "mail").mkdir()
        os.chown(directory / "mail", nobody.pw_uid, nobody.pw_gid)
        users, login_chroot, anvil_chroot = "", "", ""
    else:
        # Not root: every process runs as this user, and nothing can chroot.
        me = pwd.getpwuid(os.geteuid())
        uid, gid = me.pw_name, grp.getgrgid(me.pw_gid).gr_name
        (directory / "mail").mkdir()
        users = f"default_internal_user = {uid}\ndefault_internal_group = {gid}\ndefault_login_user = {uid}"
        login_chroot = "chroot ="
        anvil_chroot = "chroot ="
    return CONFIG.format(
        dir=directory,
        host=HOST,
        port=port,
        separator=separator,
        password=PASSWORD,
        uid=uid,
        gid=gid,
        users=users,
        login_chroot=login_chroot,
        anvil_chroot=anvil_chroot,
    )


def _log_tail(directory: Path) -> str:
    parts = []
    for name in ("dovecot.log", "stderr.log"):
        path = directory / name
        if path.exists():
            parts.append(f"--- {name} ---\n" + "\n".join(path.read_text(errors="replace").splitlines()[-30:]))
    return "\n".join(parts) or "(no log)"


def _wait_for_greeting(process: subprocess.Popen[bytes], port: int, directory: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(f"dovecot exited at start (code {process.returncode}):\n{_log_tail(directory)}")
        try:
            with socket.create_connection((HOST, port), timeout=1) as sock:
                if sock.recv(200).startswith(b"* OK"):
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"dovecot did not answer on {HOST}:{port} within {START_TIMEOUT:g} s:\n{_log_tail(directory)}")
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes], conf: Path) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            pass
    # Not gone (or it daemonised after all): ask Dovecot itself, then make sure.
    subprocess.run([DOVECOT, "-c", str(conf), "stop"], capture_output=True, timeout=15, check=False)
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def dovecot_server(*, separator: str = ".") -> Iterator[ImapServer]:
    """Start a throwaway Dovecot; stop it and remove its files when the block ends."""
    if not os.access(DOVECOT, os.X_OK):
        pytest.fail(
            f"The IMAP tests need Dovecot ({DOVECOT} is missing): run scripts/ensure-dovecot "
            "(as root it installs Debian's dovecot-imapd; otherwise run 'sudo apt-get install dovecot-imapd').",
            pytrace=False,
        )
    # Not pytest's tmp_path: it is private to the user (0700) and deep, but Dovecot's processes run as
    # other users and its unix sockets need short paths.
    directory = Path(tempfile.mkdtemp(prefix="lofte-dovecot-"))
    directory.chmod(0o755)
    process: subprocess.Popen[bytes] | None = None
    conf = directory / "dovecot.conf"
    try:
        port = free_port()
        conf.write_text(_config(directory, port, separator))
        with (directory / "stderr.log").open("wb") as stderr:
            process = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=stderr, stderr=stderr)
        _wait_for_greeting(process, port, directory)
        yield ImapServer(
            host=HOST, port=port, user="lofte", password=PASSWORD, directory=directory, separator=separator
        )
    finally:
        if process is not None:
            _stop(process, conf)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    """A Dovecot IMAP server for the whole test session (plain text on 127.0.0.1; any user, one password)."""
    with dovecot_server() as server:
        yield server
