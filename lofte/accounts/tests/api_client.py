"""The API tests' client: Django's test client with an agent's Bearer token, speaking JSON under /api/v1."""

from __future__ import annotations

from typing import Any

from django.test import Client

from lofte.accounts.models import Agent
from lofte.accounts.services import api_token_create


class Api:
    """`Api(agent)` sends that agent's fresh token; `Api(None)` sends no credentials."""

    def __init__(self, agent: Agent | None):
        self.agent = agent
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {api_token_create(agent=agent).secret}"} if agent else {}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(f"/api/v1{path}", params or {}, headers=self.headers)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(f"/api/v1{path}", body, content_type="application/json", headers=self.headers)

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(f"/api/v1{path}", body, content_type="application/json", headers=self.headers)

    def put(self, path: str, body: Any) -> Any:
        return self.client.put(f"/api/v1{path}", body, content_type="application/json", headers=self.headers)

    def delete(self, path: str) -> Any:
        return self.client.delete(f"/api/v1{path}", headers=self.headers)
