"""The API documentation page, with Swagger UI served by the app itself: no request leaves the server."""

from __future__ import annotations

import html
from typing import Any

from litestar import Request
from litestar.openapi.plugins import SwaggerRenderPlugin

from lending import __version__

VENDOR = "/static/vendor/swagger-ui"


class LocalSwagger(SwaggerRenderPlugin):
    def __init__(self) -> None:
        super().__init__(
            js_url=f"{VENDOR}/swagger-ui-bundle.js",
            css_url=f"{VENDOR}/swagger-ui.css",
            standalone_preset_js_url=f"{VENDOR}/swagger-ui-standalone-preset.js",
            favicon=f'<link rel="icon" type="image/png" href="{VENDOR}/favicon-32x32.png">',
        )

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        # Litestar's page starts Swagger UI from an inline script, which the pages' CSP refuses: ours starts it
        # from a file and passes the document's address in a data attribute.
        title = html.escape(openapi_schema["info"]["title"])
        schema_url = html.escape(self.get_openapi_json_route(request))
        return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
{self.favicon}
<link rel="stylesheet" href="{self.css_url}">
<script src="{self.js_url}" defer></script>
<script src="{self.standalone_preset_js_url}" defer></script>
<script src="/static/swagger-init.js?v={__version__}" defer></script>
</head>
<body>
<main><h1 class="visually-hidden">{title}</h1><div id="swagger-ui" data-openapi-url="{schema_url}"></div></main>
</body>
</html>""".encode()

    @staticmethod
    def render_oauth2_redirect() -> bytes:
        script = f'<script src="{VENDOR}/oauth2-redirect.js"></script>'
        return f'<!doctype html><html lang="en"><body>{script}</body></html>'.encode()
