"""A local stand-in for GOV.UK Notify's HTTP API, for the real notifications-python-client to talk to.

It serves POST /v2/notifications/sms on 127.0.0.1 from a thread, checks the request as Notify does (a JWT signed with
the API key's secret and issued by its service id, within 30 seconds of now; a known template; the ((body)) field; a
UK mobile number), answers in Notify's shapes, and keeps every text it accepted. `fail_next(status)` makes the next
requests fail as Notify would: 400 (a refused phone number), 403, 429 or 500.

    with FakeNotify() as notify:
        settings = Settings(sms_provider="notify", **notify.settings())
        ...
        assert [sms.phone_number for sms in notify.sent] == ["+447911123456"]
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import phonenumbers
from notifications_python_client.authentication import decode_jwt_token, get_token_issuer
from notifications_python_client.errors import TokenError

# What Notify says for each error a test can force.
FORCED = {
    400: ("ValidationError", "phone_number Not a UK mobile number"),
    403: ("AuthError", "Invalid token: API key not found"),
    429: ("RateLimitError", "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"),
    500: ("Exception", "Internal server error"),
}


@dataclass(frozen=True)
class Sms:
    id: str
    phone_number: str
    template_id: str
    personalisation: dict[str, Any]
    reference: str | None
    sms_sender_id: str | None

    @property
    def body(self) -> str:
        return str(self.personalisation.get("body", ""))


class FakeNotify:
    def __init__(self) -> None:
        self.service_id = str(uuid.uuid4())
        self.secret = str(uuid.uuid4())
        self.template_id = str(uuid.uuid4())
        self.sender_id = str(uuid.uuid4())
        self.sent: list[Sms] = []
        self.refused: list[tuple[int, str]] = []  # (status, Notify's message) for every request answered with an error
        self._forced: deque[int] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-notify", daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_key(self) -> str:
        """A key as Notify issues them: its name, then the service id, then the secret."""
        return f"lending_test-{self.service_id}-{self.secret}"

    def settings(self) -> dict[str, Any]:
        """The Settings fields that point Lending at this fake."""
        return {
            "notify_api_key": self.api_key,
            "notify_base_url": self.base_url,
            "notify_sms_template_id": self.template_id,
            "notify_sms_sender_id": self.sender_id,
        }

    def environment(self) -> dict[str, str]:
        """The same, as LENDING_ variables for a `lending` subprocess."""
        variables = {f"LENDING_{name.upper()}": str(value) for name, value in self.settings().items()}
        return {"LENDING_SMS_PROVIDER": "notify", **variables}

    def fail_next(self, status: int, times: int = 1) -> None:
        assert status in FORCED, status
        with self._lock:
            self._forced.extend([status] * times)

    def __enter__(self) -> FakeNotify:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # Called from the server's threads.
    def answer(self, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        if path != "/v2/notifications/sms":
            return _error(404, "ResourceNotFound", "Not found")
        refusal = self._authenticate(headers.get("Authorization", ""))
        if refusal:
            return _error(403, "AuthError", refusal)
        with self._lock:
            forced = self._forced.popleft() if self._forced else None
        if forced is not None:
            return _error(forced, *FORCED[forced])
        try:
            request = json.loads(body)
        except ValueError:
            return _error(400, "BadRequestError", "Invalid JSON supplied in POST data")
        if request.get("template_id") != self.template_id:
            return _error(400, "BadRequestError", "Template not found")
        personalisation = request.get("personalisation") or {}
        if "body" not in personalisation:
            return _error(400, "BadRequestError", "Missing personalisation: body")
        if request.get("sms_sender_id") not in (None, self.sender_id):
            return _error(400, "BadRequestError", "sms_sender_id not found")
        problem = _phone_problem(str(request.get("phone_number", "")))
        if problem:
            return _error(400, "ValidationError", f"phone_number {problem}")
        sms = Sms(
            id=str(uuid.uuid4()),
            phone_number=request["phone_number"],
            template_id=request["template_id"],
            personalisation=personalisation,
            reference=request.get("reference"),
            sms_sender_id=request.get("sms_sender_id"),
        )
        with self._lock:
            self.sent.append(sms)
        return 201, {
            "id": sms.id,
            "reference": sms.reference,
            "content": {"body": sms.body, "from_number": "Lending"},
            "uri": f"{self.base_url}/v2/notifications/{sms.id}",
            "template": {
                "id": self.template_id,
                "version": 1,
                "uri": f"{self.base_url}/v2/template/{self.template_id}",
            },
        }

    def _authenticate(self, header: str) -> str | None:
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer" or not token:
            return "Unauthorized: authentication token must be provided"
        try:
            if get_token_issuer(token) != self.service_id:
                return "Invalid token: service not found"
            decode_jwt_token(token, self.secret)
        except TokenError as exc:
            return exc.message
        return None


def _phone_problem(number: str) -> str | None:
    try:
        parsed = phonenumbers.parse(number, "GB")
    except phonenumbers.NumberParseException:
        return "Must not contain letters or symbols"
    if parsed.country_code != 44:
        return "Not a UK mobile number"
    if not phonenumbers.is_valid_number(parsed):
        return "Not enough digits" if len(str(parsed.national_number)) < 10 else "Too many digits"
    if phonenumbers.number_type(parsed) != phonenumbers.PhoneNumberType.MOBILE:
        return "Not a UK mobile number"
    return None


def _error(status: int, error: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"errors": [{"error": error, "message": message}], "status_code": status}


def _handler(fake: FakeNotify) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, answer = fake.answer(self.path, self.headers, body)
            if status >= 400:
                with fake._lock:
                    fake.refused.append((status, answer["errors"][0]["message"]))
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the request line has no number in it, but a test's output needs no access log

    return Handler
