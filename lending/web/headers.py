"""Security headers on every answer: pages run only the app's own scripts and are never framed."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

# No inline scripts and no eval anywhere: every script is a file under /static. Images may be data: or blob: URLs
# (barcodes, the signature pad's preview); the camera's stream is a blob.
PAGES = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Swagger UI sets style attributes as it draws (styles only: its scripts are still files of ours).
SCHEMA = PAGES.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")

COMMON = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    # The desk's camera scan is the only device feature a page uses.
    "permissions-policy": "camera=(self), microphone=(), geolocation=(), payment=()",
}


async def add_security_headers(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in COMMON.items():
        if name not in headers:
            headers[name] = value
    path = scope.get("path", "")
    headers["content-security-policy"] = SCHEMA if path.startswith("/schema") else PAGES
