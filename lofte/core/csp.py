"""Content-Security-Policy for single responses that need other rules than the site's (settings.SECURE_CSP).

Django's ContentSecurityPolicyMiddleware builds the header from
`response._csp_config` when a view set one (what `@csp_override` does), else
from settings.SECURE_CSP. These helpers set it for one response:

- `csp_frame_ancestors`: the site's policy, framable by the given sources only
  (the embeddable contact form and its thanks page);
- `csp_download`: nothing may run or load in a file served as a download, even
  if a browser were tricked into showing it (a sandbox without any source);
- `csp_preview`: a PDF shown in the browser's viewer: no source of its own either.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.http import HttpResponseBase
from django.utils.csp import CSP

DOWNLOAD_POLICY = {"default-src": [CSP.NONE], "sandbox": True, "frame-ancestors": [CSP.NONE]}
# a PDF shown in the browser's own viewer (which a sandbox would stop): still nothing of the page's may load or run
PREVIEW_POLICY = {"default-src": [CSP.NONE], "object-src": [CSP.SELF], "frame-ancestors": [CSP.SELF]}


def csp_frame_ancestors(response: HttpResponseBase, sources: Sequence[str]) -> HttpResponseBase:
    """The site's policy with frame-ancestors `sources` ('none' when empty); the rest unchanged."""
    policy = dict(settings.SECURE_CSP)
    policy["frame-ancestors"] = list(sources) or [CSP.NONE]
    response._csp_config = policy  # type: ignore[attr-defined]
    return response


def csp_download(response: HttpResponseBase) -> HttpResponseBase:
    response._csp_config = DOWNLOAD_POLICY  # type: ignore[attr-defined]
    return response


def csp_preview(response: HttpResponseBase) -> HttpResponseBase:
    response._csp_config = PREVIEW_POLICY  # type: ignore[attr-defined]
    return response
