"""Fixtures for the channel tests: a real Dovecot IMAP server (see dovecot.py)."""

from __future__ import annotations

from lofte.channels.tests.dovecot import imap_server

__all__ = ["imap_server"]
