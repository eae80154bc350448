"""What a reader did in the help centre before writing: the articles read and the searches made, kept in a
signed cookie (nothing stored on the server for a visitor), so that the case they then write carries it to the
agent.

The cookie holds at most MAX_ARTICLES translation ids and MAX_SEARCHES searches (each cut to 100 characters),
newest first. A cookie that was tampered with, is older than MAX_AGE or is malformed reads as an empty trail;
the ids in it are looked up again (public, published) before anything is shown, so a forged id reaches nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.core import signing
from django.http import HttpRequest, HttpResponse

COOKIE = "lofte_kb_trail"
SALT = "lofte.kb.trail"
MAX_AGE = 60 * 60 * 24  # a day
MAX_ARTICLES = 5
MAX_SEARCHES = 5
MAX_SEARCH = 100


@dataclass
class Trail:
    translations: list[int] = field(default_factory=list)
    searches: list[str] = field(default_factory=list)

    def read(self, translation_id: int) -> Trail:
        ids = [translation_id, *(t for t in self.translations if t != translation_id)]
        return Trail(ids[:MAX_ARTICLES], list(self.searches))

    def searched(self, query: str) -> Trail:
        query = " ".join(query.split())[:MAX_SEARCH]
        if not query:
            return self
        searches = [query, *(s for s in self.searches if s != query)]
        return Trail(list(self.translations), searches[:MAX_SEARCHES])

    def __bool__(self) -> bool:
        return bool(self.translations or self.searches)


def trail_of(request: HttpRequest) -> Trail:
    raw = request.COOKIES.get(COOKIE, "")
    if not raw:
        return Trail()
    try:
        data = json.loads(signing.loads(raw, salt=SALT, max_age=MAX_AGE))
    except (signing.BadSignature, ValueError, TypeError):
        return Trail()
    if not isinstance(data, dict):
        return Trail()
    ids = [int(t) for t in data.get("t", []) if isinstance(t, int) and t > 0][:MAX_ARTICLES]
    searches = [str(s)[:MAX_SEARCH] for s in data.get("s", []) if isinstance(s, str) and s.strip()][:MAX_SEARCHES]
    return Trail(ids, searches)


def trail_keep(response: HttpResponse, trail: Trail, *, secure: bool) -> None:
    """Write `trail` into the response's cookie (HttpOnly, SameSite=Lax, a day)."""
    value = signing.dumps(json.dumps({"t": trail.translations, "s": trail.searches}), salt=SALT)
    response.set_cookie(COOKIE, value, max_age=MAX_AGE, httponly=True, samesite="Lax", secure=secure)
