"""A client that sends its body slowly holds nobody up and is cut off at the body deadline; an idle connection is
closed (a real `lending serve`)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time

import httpx

from tests.core.availability_support import serving


def slow_post(base: str, path: str, token: str, stop: threading.Event) -> tuple[bytes, float]:
    """Headers at once, then the body a byte every 0.3 s; returns the answer and when it came."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(
            (
                f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
                "Content-Type: application/json\r\nContent-Length: 400\r\n\r\n"
            ).encode()
        )
        sock.setblocking(False)
        answer = b""
        body = iter(b'{"name": "Slow donor", "kind": "business", "notes": "' + b"x" * 400)
        while not stop.is_set():
            try:
                chunk = sock.recv(65536)
            except BlockingIOError:
                chunk = None
            if chunk == b"":
                break  # the server closed the connection
            if chunk:
                answer += chunk
                continue
            with contextlib.suppress(StopIteration, BrokenPipeError, ConnectionResetError):
                sock.send(bytes([next(body)]))
            time.sleep(0.3)
        return answer, time.monotonic()


def idle_connection_lifetime(base: str) -> float:
    """Seconds from the end of one answer until the server closes the kept-alive connection."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(f"GET /health HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            answer += sock.recv(65536)
        answered = time.monotonic()
        assert sock.recv(65536) == b""  # blocks until the server closes
        return time.monotonic() - answered


async def test_a_slow_body_stalls_no_reader_or_writer_and_is_cut_off_and_idle_connections_close(database_url, staff):
    with serving(database_url, LENDING_BODY_TIMEOUT_SECONDS="4", LENDING_IDLE_TIMEOUT_SECONDS="1") as base:
        stop = threading.Event()
        slow = asyncio.create_task(asyncio.to_thread(slow_post, base, "/api/v1/donors", staff.token, stop))
        try:
            await asyncio.sleep(1)  # the slow client is signed in and half-way through its body
            async with httpx.AsyncClient(base_url=base, headers=staff.headers, timeout=30) as http:
                read = await http.get("/api/v1/donors")
                wrote = await http.post("/api/v1/donors", json={"name": "Prompt donor", "kind": "business"})
                others_done = time.monotonic()
            assert read.status_code == 200, read.text
            assert wrote.status_code == 201, wrote.text
            answer, answered_at = await asyncio.wait_for(slow, 30)
        finally:
            stop.set()
        # The others were served while the slow body was still coming in, not after it was cut off.
        assert others_done < answered_at
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), answer[:300]
        assert b"application/problem+json" in head and b'"status":408' in body
        async with httpx.AsyncClient(base_url=base, headers=staff.headers, timeout=30) as http:
            names = [d["name"] for d in (await http.get("/api/v1/donors")).json()["items"]]
        assert names == ["Prompt donor"]
        # An idle keep-alive connection is closed after LENDING_IDLE_TIMEOUT_SECONDS (uvicorn's default is 5 s).
        assert await asyncio.to_thread(idle_connection_lifetime, base) < 4
