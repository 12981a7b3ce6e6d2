"""The contract run: Schemathesis over the whole OpenAPI document of a real `lending serve`, as admin.

    python -m tests.contract.schemathesis_run [--database-url URL] [--max-examples N] [--seed N] [-- ARGS...]

It starts `lending serve` on a free port with a fresh database (a temporary SQLite file unless `--database-url`
names one, which is emptied first), seeds a centre, a school, a donor, a donation of a laptop and a SIM, a family,
an approved nomination and a loan through the API so that ids in paths sometimes hit real rows, signs in as the
admin and runs `schemathesis run` with every default check, a fixed seed and a bounded number of examples per
operation. Anything after `--` goes to `schemathesis run` as it is. The exit code is Schemathesis's; when it
fails, the server's tracebacks are printed too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import httpx

from tests.support import free_port, wait_until_serving

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ADMIN_EMAIL = "contract-admin@example.org"
ADMIN_PASSWORD = "contract-run-password-1"


def seed(client: httpx.Client) -> dict[str, object]:
    """A little of everything, made through the API as a user would, so that paths can hit real rows."""

    def call(method: str, path: str, **kwargs: object) -> dict:
        response = client.request(method, path, **kwargs)
        if response.status_code >= 300:
            raise SystemExit(f"seeding failed: {method} {path} -> {response.status_code} {response.text}")
        return response.json()

    today = date.today()
    centre = call("POST", "/api/v1/centres", json={"name": "Contract Centre", "postcode": "B12 9QP"})
    school = call("POST", "/api/v1/schools", json={"name": "Contract School", "urn": "123456"})
    donor = call("POST", "/api/v1/donors", json={"name": "Contract Donor", "kind": "business"})
    donation = call(
        "POST",
        "/api/v1/donations",
        json={
            "donor_id": donor["id"],
            "centre_id": centre["id"],
            "received_on": today.isoformat(),
            "items": [
                {"kind": "laptop", "make": "Lenovo", "model": "T480", "serial_number": "CONTRACT-1"},
                {"kind": "laptop", "make": "Lenovo", "model": "T480", "serial_number": "CONTRACT-2"},
                {
                    "kind": "sim",
                    "iccid": "8944110068012345679",
                    "network": "EE",
                    "plan_months": 12,
                    "activated_on": today.isoformat(),
                    "voucher_code": "VOUCHER-1",
                },
            ],
        },
    )
    tags = [a["tag"] for a in donation["assets"]]
    for tag in tags[:2]:
        call("POST", f"/api/v1/assets/{tag}/transitions", json={"to": "in_refurbishment"})
        call(
            "POST",
            f"/api/v1/assets/{tag}/wipes",
            json={"method": "nist-800-88-clear", "performed_on": today.isoformat(), "performed_by": "Contract Run"},
        )
        call("POST", f"/api/v1/assets/{tag}/transitions", json={"to": "ready"})
    family = call(
        "POST",
        "/api/v1/families",
        json={
            "lead_name": "Contract Family",
            "phone": "07911 123456",
            "postcode": "B12 9QP",
            "children": 2,
            "school_age_children": 2,
            "has_broadband": False,
            "free_school_meals": True,
            "consent_given_on": today.isoformat(),
        },
    )
    nomination = call(
        "POST",
        "/api/v1/nominations",
        json={"family_id": family["id"], "school_id": school["id"], "laptops": 1, "reason": "contract run"},
    )
    call("POST", f"/api/v1/nominations/{nomination['id']}/decision", json={"decision": "approve"})
    loan = call(
        "POST",
        "/api/v1/loans",
        json={
            "family_id": family["id"],
            "nomination_id": nomination["id"],
            "centre_id": centre["id"],
            "items": [tags[0]],
            "due_on": (today + timedelta(days=90)).isoformat(),
        },
    )
    return {"centre": centre["id"], "school": school["id"], "family": family["id"], "loan": loan["id"], "tags": tags}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    passthrough: list[str] = []
    if "--" in argv:
        passthrough = argv[argv.index("--") + 1 :]
        argv = argv[: argv.index("--")]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="An empty (or disposable) Lending database; default: temporary SQLite")
    parser.add_argument("--max-examples", type=int, default=25, help="Test cases per operation and phase")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--report-dir", type=Path, help="Keep Schemathesis's JUnit report here")
    args = parser.parse_args(argv)

    # `timeout` in CI ends the run with SIGTERM: still stop the server and show its tracebacks.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(124))
    work = Path(tempfile.mkdtemp(prefix="lending-contract-"))
    url = args.database_url or f"sqlite+aiosqlite:///{work / 'contract.db'}"
    if args.database_url:
        from lending.core import migrations

        migrations.downgrade(url, "base")  # a run starts from nothing, so ids and results repeat
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LENDING_")}
    env.update(
        LENDING_DATABASE_URL=url,
        LENDING_REMINDERS_IN_PROCESS="false",  # the contract run is about the API, not the daily reminders
        LENDING_SECRET_KEY="contract-run-secret-key-long-enough-for-hs256",
        LENDING_ADMIN_EMAIL=ADMIN_EMAIL,
        LENDING_ADMIN_PASSWORD=ADMIN_PASSWORD,
        LENDING_LOG_LEVEL="WARNING",
        LENDING_ORG_NAME="Contract Run",
    )
    server_log = work / "server.log"
    with server_log.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "lending", "serve", "--port", str(port)],
            cwd=work,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        try:
            wait_until_serving(base, server)
        except RuntimeError as exc:
            raise SystemExit(str(exc)) from None
        token = httpx.post(
            f"{base}/api/v1/auth/token", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, timeout=30
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=auth, timeout=30) as client:
            admin_id = client.get("/api/v1/me").json()["id"]
            seeded = seed(client)
        print(f"contract run: {base}, database {url.split('@')[-1]}, seeded {seeded}", flush=True)
        command = [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(HERE / "schemathesis.toml"),
            "run",
            f"{base}/schema/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--seed",
            str(args.seed),
            "--max-examples",
            str(args.max_examples),
            "--workers",
            "1",
            "--generation-database",
            "none",
            "--no-color",
            "--output-truncate",
            "false",
        ]
        if args.report_dir:
            command += ["--report", "junit", "--report-dir", str(args.report_dir.resolve())]
        started = time.monotonic()
        # In the scratch folder: Schemathesis keeps a cache of past failures in its working directory and replays
        # them first, which would make one run depend on the last.
        result = subprocess.run(
            command + passthrough,
            cwd=work,
            env={
                **env,
                "SCHEMATHESIS_HOOKS": "tests.contract.hooks",
                "LENDING_CONTRACT_ADMIN_ID": str(admin_id),
                "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
            },
        )
        print(
            f"contract run: schemathesis finished in {time.monotonic() - started:.0f} s "
            f"with exit code {result.returncode}",
            flush=True,
        )
        returncode = result.returncode
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        text = server_log.read_text(errors="replace") if server_log.exists() else ""
        if "Traceback" in text:
            print("== server tracebacks (lending serve's log)", flush=True)
            print(text[-60_000:], flush=True)
    # The scratch folder goes only after the server's log was read: a clean run leaves nothing behind.
    if returncode == 0:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"contract run: the database and the server's log are kept in {work}", flush=True)
    return returncode


if __name__ == "__main__":
    sys.exit(main())
