"""A deadline for the request body.

uvicorn closes idle keep-alive connections (`LENDING_IDLE_TIMEOUT_SECONDS`) but waits for a body for ever. A client
that sends its body a byte at a time would keep its request, and whatever the request holds, open; so the whole
body must arrive within `LENDING_BODY_TIMEOUT_SECONDS` of the request's start, or the answer is 408 and the
connection is closed.
"""

from __future__ import annotations

import asyncio

from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send


class BodyTimeout:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self, app: ASGIApp) -> ASGIApp:
        seconds = self.seconds

        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            loop = asyncio.get_running_loop()
            deadline = loop.time() + seconds
            complete = False

            async def receive_in_time() -> ReceiveMessage:
                nonlocal complete
                if complete:
                    # After the body, receive() only waits for the client to leave (streamed answers): no deadline.
                    return await receive()
                try:
                    message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
                except TimeoutError:
                    raise HTTPException(
                        status_code=408,
                        detail=f"The request body did not arrive within {seconds:g} s.",
                        headers={"Connection": "close"},
                    ) from None
                if message["type"] != "http.request" or not message.get("more_body", False):
                    complete = True
                return message

            await app(scope, receive_in_time, send)

        return middleware
