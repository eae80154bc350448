"""Models of the webhooks channel (imported by lofte/channels/models.py so Django finds them)."""

from __future__ import annotations
