"""Erasure reaches every place a family's personal data went: the family, its nominations, its loans' notes, the
signer's name and image, the signed agreement, stored Idempotency-Key answers, the audit rows, the subject-access
export, and (on SQLite) the raw database files."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.engine import make_url

from lending.audit.models import AuditEntry
from lending.core.db import Base
from tests.families.conftest import family_data
from tests.loans.conftest import centre, stock  # noqa: F401  (shared fixtures)
from tests.loans.test_after_issue import png
from tests.support import assert_problem

NAME = "Zephyrine Quillfeather"
# Every form of the family's personal data that the flow below writes somewhere, matched without regard to case.
NEEDLES = (
    "zephyrine",
    "quillfeather",
    "447912345678",
    "07912345678",
    "marzipan",
    "b13 8qz",
    "ottoline",
    "zq@quill.example",
)


ON_POSTGRES = (os.environ.get("LENDING_TEST_DATABASE_URL") or "").startswith("postgresql")


async def lend_sign_return_and_erase(
    client, admin, staff, volunteer, stock, centre, sessions, nominate, teacher_a, before_erasure=None
) -> dict:
    """A family through its whole life, every free-text field filled with something personal, then erased."""
    made = await nominate(
        teacher_a,
        family=family_data(
            NAME,
            "07912 345678",
            "b13 8qz",
            email="zq@quill.example",
            address="42 Marzipan Crescent",
            notes="Grandmother Ottoline Quillfeather helps",
        ),
        reason="Ottoline's three grandchildren share one phone",
    )
    family_id = made["family_id"]
    approved = await client.post(
        f"/api/v1/nominations/{made['id']}/decision",
        json={"decision": "approve", "note": "Spoke to Zephyrine"},
        headers=staff.headers,
    )
    assert approved.status_code == 200, approved.text
    laptop, sim = await stock("laptop", "sim")
    body = {
        "family_id": family_id,
        "centre_id": centre["id"],
        "nomination_id": made["id"],
        "items": [laptop, sim],
        "notes": "Zephyrine collects on Friday",
    }
    keyed = {**volunteer.headers, "Idempotency-Key": "erasure-test-0001"}
    issued = await client.post("/api/v1/loans", json=body, headers=keyed)
    assert issued.status_code == 201, issued.text
    loan = issued.json()
    # The stored answer is what a retry with the key gets back, notes and all.
    assert (await client.post("/api/v1/loans", json=body, headers=keyed)).json() == loan
    signed = await client.post(
        f"/api/v1/loans/{loan['id']}/acceptance",
        json={"signer_name": NAME, "relationship": "parent", "signature_png": base64.b64encode(png(60, 20)).decode()},
        headers=volunteer.headers,
    )
    assert signed.status_code == 201, signed.text
    digest = signed.json()["acceptance"]["signed_pdf_sha256"]
    extended = await client.post(
        f"/api/v1/loans/{loan['id']}/extension",
        json={"due_on": (date.today() + timedelta(days=400)).isoformat(), "reason": "Zephyrine's exams moved"},
        headers=volunteer.headers,
    )
    assert extended.status_code == 200, extended.text
    lost = await client.post(
        f"/api/v1/loans/{loan['id']}/items/{sim}/outcome",
        json={"outcome": "lost", "notes": "Ottoline lost it on the bus"},
        headers=volunteer.headers,
    )
    assert lost.status_code == 200, lost.text
    returned = await client.post(
        f"/api/v1/loans/{loan['id']}/returns",
        json={
            "items": [
                {"tag": laptop, "condition": "damaged", "notes": "Returned by Ottoline Quillfeather, screen scratched"}
            ]
        },
        headers=volunteer.headers,
    )
    # The SIM was lost, so the loan ends as lost: its worst ending.
    assert returned.json()["status"] == "lost", returned.text

    # Names never reach the audit log in any form, erasure or not.
    audit = (await client.get("/api/v1/audit?limit=500", headers=admin.headers)).text.casefold()
    assert not [n for n in NEEDLES if n in audit]
    # A database written by an older version holds copies in its audit rows (e.g. the lower-cased name, loan notes).
    async with sessions() as session, session.begin():
        now = datetime.now(UTC)
        await session.execute(
            insert(AuditEntry),
            [
                {
                    "occurred_at": now,
                    "created_at": now,
                    "updated_at": now,
                    "actor_label": "older version",
                    "action": "create",
                    "entity_type": "family",
                    "entity_id": str(family_id),
                    "after": {"name_key": NAME.lower(), "children": 3},
                },
                {
                    "occurred_at": now,
                    "created_at": now,
                    "updated_at": now,
                    "actor_label": "older version",
                    "action": "update",
                    "entity_type": "loan",
                    "entity_id": str(loan["id"]),
                    "before": {"notes": ""},
                    "after": {"notes": "Call Zephyrine on 07912345678", "status": "active"},
                },
            ],
        )

    if before_erasure is not None:
        before_erasure()
    erased = await client.post(f"/api/v1/families/{family_id}/erase", headers=admin.headers)
    assert erased.status_code == 200, erased.text
    return {
        "family_id": family_id,
        "loan": loan,
        "body": body,
        "keyed": keyed,
        "digest": digest,
        "nomination_id": made["id"],
    }


@pytest.fixture
def erased(client, admin, staff, volunteer, stock, centre, sessions, nominate, teacher_a):
    return lambda **kw: lend_sign_return_and_erase(
        client, admin, staff, volunteer, stock, centre, sessions, nominate, teacher_a, **kw
    )


async def test_erasure_reaches_every_copy_of_the_familys_data(client, admin, staff, volunteer, sessions, erased):
    done = await erased()
    loan_id = done["loan"]["id"]

    # The signed agreement is withdrawn, and says so; that it existed, and its hash, stay.
    gone = assert_problem(await client.get(f"/api/v1/loans/{loan_id}/agreement.pdf", headers=staff.headers), 410)
    assert gone["signed_pdf_sha256"] == done["digest"] and "withdrawn" in gone["detail"]
    shown = (await client.get(f"/api/v1/loans/{loan_id}", headers=staff.headers)).json()
    acceptance = shown["acceptance"]
    assert acceptance["signer_name"] == "" and acceptance["has_signature_image"] is False
    assert acceptance["signed_pdf_sha256"] == done["digest"] and acceptance["signed_pdf_withdrawn_at"]
    assert shown["notes"] == "" and shown["extensions"][0]["reason"] == ""
    assert [i["return_notes"] for i in shown["items"]] == ["", ""]
    # The loan itself stays for reports.
    assert shown["status"] == "lost" and len(shown["items"]) == 2

    # The stored Idempotency-Key answer is forgotten: a retry is a new request, refused for the erased family.
    assert_problem(await client.post("/api/v1/loans", json=done["body"], headers=done["keyed"]), 409)

    export = await client.get(f"/api/v1/families/{done['family_id']}/export", headers=admin.headers)
    assert export.status_code == 200
    document = export.json()
    assert document["family"]["lead_name"] == f"Erased family {done['family_id']}"
    assert document["loans"][0]["agreement"]["signed_pdf_sha256"] == done["digest"]
    assert {(a["entity_type"], a["action"]) for a in document["audit"]} >= {
        ("family", "erase"),
        ("loan", "update"),
        ("loan_acceptance", "update"),
        ("loan_extension", "create"),
    }
    erase_entry = next(a for a in document["audit"] if a["action"] == "erase")
    assert erase_entry["after"]["agreements_withdrawn"] == 1 and erase_entry["after"]["stored_answers_forgotten"] == 1
    assert erase_entry["after"]["audit_entries_scrubbed"] >= 2
    exported = export.text.casefold()
    assert not [n for n in NEEDLES if n in exported]
    audit = (await client.get("/api/v1/audit?limit=500", headers=admin.headers)).text.casefold()
    assert not [n for n in NEEDLES if n in audit]

    # Every text, JSON and binary column of every table, read straight from the database.
    found = []
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                for column, value in row.items():
                    if value is None:
                        continue
                    text = (
                        value.decode("latin-1")
                        if isinstance(value, (bytes, memoryview))
                        else json.dumps(value, ensure_ascii=False, default=str)
                    ).casefold()
                    found += [(table.name, column, n) for n in NEEDLES if n in text]
    assert found == []


@pytest.mark.skipif(
    ON_POSTGRES,
    reason="a raw-file check for SQLite's file and write-ahead log; PostgreSQL keeps dead row "
    "versions until (auto)vacuum, which is not this product's to force",
)
async def test_the_sqlite_files_forget_the_erased_text(database_url, erased):
    path = Path(make_url(database_url).database)

    def settle() -> None:
        # As in a database that has run for a while: the family's rows are already in the main file, not only in
        # the write-ahead log, so the erasure must overwrite them there.
        with closing(sqlite3.connect(path)) as db:
            assert db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
        raw = path.read_bytes().lower()
        assert NAME.lower().encode() in raw and b"marzipan" in raw

    await erased(before_erasure=settle)
    files = [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal")) if p.exists()]
    found = {}
    for file in files:
        raw = file.read_bytes().lower()
        found[file.name] = [n for n in NEEDLES if n.encode() in raw]
    assert all(not hits for hits in found.values()), found
