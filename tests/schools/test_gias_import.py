"""`lending import schools`: the DfE's Get Information About Schools extract, as downloaded, adds and updates."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from lending.audit.models import AuditEntry
from lending.schools.models import School
from tests.clock import child_environment
from tests.schools.gias_extract import establishment, write_extract
from tests.support import count_rows


def lending(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"LENDING_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin", "COLUMNS": "200", **child_environment()}
    return subprocess.run(
        [sys.executable, "-m", "lending", *args], capture_output=True, text=True, env=env, timeout=120
    )


def extract(tmp_path: Path, **kwargs) -> Path:
    return write_extract(
        tmp_path / "edubasealldata.csv",
        [
            # Held already (school_a, typed in by hand): the register fills in what it knows.
            establishment(
                "103245",
                "Anderton Park Primary School",
                PercentageFSM="45.2",
                Street="Dennis Road",
                Locality="Balsall Heath",
                Town="Birmingham",
                Postcode="B12 8LR",
                TelephoneNum="01214644444",
            ),
            # New; its name has the Windows-1252 apostrophe (byte 0x92) the real file is full of.
            establishment(
                "103500",
                "St Mary’s C of E Primary School",
                PercentageFSM="SUPP",
                Street="Vicarage Road",
                Town="Birmingham",
                Postcode="b17 0sp",
                TelephoneNum="1214644000",
            ),
            establishment("137000", "Ark Kings Academy", phase="Secondary", PercentageFSM="38", Postcode="B38 9DE"),
            establishment("148000", "New Free School", status="Proposed to open", phase="Not applicable"),
            # Closed and not held: not added.
            establishment("103001", "Old Board School", status="Closed", CloseDate="31-08-2010"),
            # Closed and held (school_b): marked closed and inactive.
            establishment("139032", "Ark Boulton Academy", status="Closed", phase="Secondary"),
            # Another local authority.
            establishment(
                "103900", "Sandwell Primary", **{"LA (code)": "333", "LA (name)": "Sandwell"}, PercentageFSM="21.5"
            ),
            # Unreadable rows: left out and named.
            establishment("12AB", "No URN School"),
            establishment("103246", ""),
            establishment("137000", "Ark Kings Academy again"),
            # A phone the register got wrong: the school comes in without it.
            establishment("103600", "Phoneless Nursery", phase="Nursery", TelephoneNum="12345"),
        ],
        **kwargs,
    )


async def test_the_extract_adds_updates_closes_and_skips_schools_by_urn(
    database_url, tmp_path, sessions, school_a, school_b, client, staff
):
    path = extract(tmp_path)
    assert b"St Mary\x92s" in path.read_bytes()  # really Windows-1252
    result = lending(database_url, "import", "schools", str(path))
    assert result.returncode == 0, result.stderr
    assert (
        "Schools: 5 added, 1 updated, 0 unchanged, 1 marked closed, 1 closed not added, 3 bad row(s)." in result.stdout
    )
    for row, column in (("9", "URN"), ("10", "EstablishmentName"), ("11", "URN")):
        assert any(row in line and column in line for line in result.stderr.splitlines()), (row, column)
    assert "TelephoneNum" in result.stderr and "12345" in result.stderr

    async with sessions() as session:
        schools = {s.urn: s for s in (await session.scalars(select(School))).all()}
    assert sorted(schools) == ["103245", "103500", "103600", "103900", "137000", "139032", "148000"]
    anderton = schools["103245"]
    assert anderton.id == school_a["id"] and anderton.name == "Anderton Park Primary School"
    assert anderton.address == "Dennis Road, Balsall Heath, Birmingham" and anderton.phone == "+441214644444"
    assert (anderton.phase, anderton.percentage_fsm, anderton.establishment_status) == (
        "Primary",
        Decimal("45.2"),
        "Open",
    )
    st_marys = schools["103500"]
    assert st_marys.name == "St Mary’s C of E Primary School" and st_marys.postcode == "B17 0SP"
    # GIAS drops the leading zero of some numbers; it is put back.
    assert st_marys.phone == "+441214644000" and st_marys.percentage_fsm is None and st_marys.is_active
    assert schools["137000"].name == "Ark Kings Academy" and schools["137000"].percentage_fsm == Decimal("38.0")
    assert schools["148000"].establishment_status == "Proposed to open" and schools["148000"].is_active
    assert schools["103600"].phone is None and schools["103600"].phase == "Nursery"
    boulton = schools["139032"]
    assert (boulton.establishment_status, boulton.is_active, boulton.phase) == ("Closed", False, "Secondary")

    shown = (await client.get(f"/api/v1/schools/{school_a['id']}", headers=staff.headers)).json()
    assert shown["phase"] == "Primary" and shown["percentage_fsm"] == 45.2 and shown["establishment_status"] == "Open"

    # Each school added or changed is audited with its before and after, by the command.
    async with sessions() as session:
        audited = (await session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "school"))).all()
    by_school = {(a.entity_id, a.action): a for a in audited if a.actor_label.startswith("cli:")}
    assert {a.actor_label for a in by_school.values()} == {"cli:import schools edubasealldata.csv"}
    assert sorted(action for _, action in by_school) == ["create"] * 5 + ["update"] * 2
    update = by_school[(str(school_a["id"]), "update")]
    assert update.before["name"] == "Anderton Park Primary" and update.after["name"] == "Anderton Park Primary School"
    closed = by_school[(str(school_b["id"]), "update")]
    assert closed.after["is_active"] is False and closed.after["establishment_status"] == "Closed"

    # The same extract again changes nothing and writes no audit; the closed school is closed already.
    entries = await count_rows(sessions, "audit_entry")
    again = lending(database_url, "import", "schools", str(path))
    assert again.returncode == 0, again.stderr
    assert "Schools: 0 added, 0 updated, 7 unchanged, 0 marked closed, 1 closed not added, 3 bad row(s)." in (
        again.stdout
    )
    assert await count_rows(sessions, "audit_entry") == entries


async def test_what_the_charity_keeps_itself_survives_the_register(database_url, tmp_path, sessions, client, staff):
    made = await client.post(
        "/api/v1/schools",
        json={
            "name": "Anderton Park",
            "urn": "103245",
            "phone": "0121 464 5555",
            "contact_name": "Ms Begum",
            "contact_email": "office@andertonpark.example.org",
        },
        headers=staff.headers,
    )
    assert made.status_code == 201, made.text
    # The register leaves the phone empty: the number the charity typed stays.
    path = write_extract(tmp_path / "extract.csv", [establishment("103245", "Anderton Park Primary School")])
    assert lending(database_url, "import", "schools", str(path)).returncode == 0
    async with sessions() as session:
        school = (await session.scalars(select(School))).one()
    assert (school.name, school.phone, school.contact_name, school.contact_email) == (
        "Anderton Park Primary School",
        "+441214645555",
        "Ms Begum",
        "office@andertonpark.example.org",
    )


async def test_one_local_authority_and_a_utf8_copy(database_url, tmp_path, sessions):
    # Saved again from a spreadsheet as UTF-8 with a BOM: read the same.
    path = extract(tmp_path, encoding="utf-8-sig")
    result = lending(database_url, "import", "schools", str(path), "--la", "sandwell")
    assert result.returncode == 0, result.stderr
    assert "Schools of local authority sandwell: 1 added, 0 updated" in result.stdout
    assert "10 row(s) of other local authorities passed over." in result.stdout
    async with sessions() as session:
        school = (await session.scalars(select(School))).one()
    assert (school.urn, school.name, school.percentage_fsm) == ("103900", "Sandwell Primary", Decimal("21.5"))

    by_code = lending(database_url, "import", "schools", str(path), "--la", "330")
    assert by_code.returncode == 0, by_code.stderr
    async with sessions() as session:
        names = set((await session.scalars(select(School.name))).all())
    assert "St Mary’s C of E Primary School" in names and len(names) == 6


async def test_a_file_that_is_not_the_extract_is_refused_and_nothing_is_written(database_url, tmp_path, sessions):
    path = tmp_path / "schools.csv"
    path.write_text("name,urn\nAnderton Park,103245\n")
    result = lending(database_url, "import", "schools", str(path))
    assert result.returncode == 1
    assert "not a Get Information About Schools extract" in result.stderr and "EstablishmentName" in result.stderr
    assert await count_rows(sessions, "school") == 0
