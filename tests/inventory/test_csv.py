from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import date

from sqlalchemy import text

from lending.inventory.csvio import CHECK_ROWS, COLUMNS
from lending.inventory.tags import Tag
from tests.clock import child_environment
from tests.inventory.conftest import laptop, make_iccid, sim
from tests.support import assert_problem, count_rows, days_ago

INVENTORY_TABLES = ("asset_event", "wipe_certificate", "asset", "donation", "asset_tag_sequence")


async def empty_the_stock(sessions) -> None:
    async with sessions() as session, session.begin():
        for table in INVENTORY_TABLES:
            await session.execute(text(f'DELETE FROM "{table}"'))


async def export(client, actor, query: str = "") -> str:
    response = await client.get(f"/api/v1/assets.csv{query}", headers=actor.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return response.text


async def import_csv(client, actor, body: str, query: str = ""):
    return await client.post(
        f"/api/v1/assets/import{query}", content=body.encode(), headers={**actor.headers, "Content-Type": "text/csv"}
    )


async def stock_in_every_state(client, staff, donate) -> list[str]:
    donation = await donate(
        laptop("RT-1", notes="has, a comma"),
        laptop("RT-2", notes='=HYPERLINK("http://x")'),
        sim(1, notes="+44 is the UK"),
        sim(2),
        {"kind": "accessory", "model": "USB-C charger 65W"},
    )
    tags = [a["tag"] for a in donation["assets"]]
    for tag in (tags[0], tags[1], tags[2]):
        await client.post(f"/api/v1/assets/{tag}/transitions", json={"to": "in_refurbishment"}, headers=staff.headers)
    await client.post(
        f"/api/v1/assets/{tags[0]}/wipes",
        json={
            "method": "blancco",
            "performed_on": days_ago(1),
            "performed_by": "Workshop",
            "certificate_reference": "BL-9",
        },
        headers=staff.headers,
    )
    for tag in (tags[0], tags[2]):
        response = await client.post(f"/api/v1/assets/{tag}/transitions", json={"to": "ready"}, headers=staff.headers)
        assert response.status_code == 200, response.text
    await client.post(
        f"/api/v1/assets/{tags[3]}/transitions",
        json={"to": "retired", "retired_reason": "parts", "weee_reference": "W-1"},
        headers=staff.headers,
    )
    return tags


async def test_export_then_import_into_an_empty_stock_reproduces_the_assets(client, staff, donate, sessions):
    tags = await stock_in_every_state(client, staff, donate)
    exported = await export(client, staff)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert list(rows[0].keys()) == COLUMNS and len(rows) == 5
    # Formula-like cells are written neutralised, and come back as they were typed.
    by_tag = {row["tag"]: row for row in rows}
    assert by_tag[tags[1]]["notes"] == '\'=HYPERLINK("http://x")'
    assert by_tag[tags[2]]["msisdn"] == "'+447911123456" and by_tag[tags[2]]["notes"] == "'+44 is the UK"
    assert {r["status"] for r in rows} == {"ready", "in_refurbishment", "retired", "received"}
    await empty_the_stock(sessions)
    assert await count_rows(sessions, "asset") == 0

    response = await import_csv(client, staff, exported)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 5
    assert await export(client, staff) == exported
    sims = (await client.get("/api/v1/assets?kind=sim", headers=staff.headers)).json()["items"]
    assert sims[0]["msisdn"] == "+447911123456" and sims[0]["notes"] == "+44 is the UK"
    assert (await client.get("/api/v1/assets?q=RT-2", headers=staff.headers)).json()["items"][0][
        "notes"
    ] == '=HYPERLINK("http://x")'
    # New tags continue after the imported ones.
    assert (await client.get("/api/v1/assets?kind=laptop", headers=staff.headers)).json()["total"] == 2


async def test_dry_run_reports_every_bad_row_and_writes_nothing(client, staff, centre, sessions):
    lines = [
        ",".join(["kind", "make", "model", "serial_number", "iccid", "network", "msisdn", "centre", "status", "tag"]),
        "laptop,Dell,Latitude,OK-1,,,,Sparkbrook Hub,,",
        "sim,,,,8944100000000000019,EE,,Sparkbrook Hub,,",
        f"sim,,,,{make_iccid(3)},EE,0121 496 0000,Sparkbrook Hub,,",
        "laptop,Dell,Latitude,OK-1,,,,Sparkbrook Hub,,",
        "laptop,HP,ProBook,HP-1,,,,Nowhere Hub,,",
        "laptop,HP,ProBook,HP-2,,,,Sparkbrook Hub,ready,",
        "laptop,HP,ProBook,HP-3,,,,Sparkbrook Hub,on_loan,",
        "tablet,Apple,iPad,IP-1,,,,Sparkbrook Hub,,LAP-000001-X",
    ]
    lines[0] += ",wipe_method,wipe_performed_on,wipe_performed_by"
    lines[1:] = [line + ",,," for line in lines[1:]]
    lines.append(f"laptop,HP,ProBook,HP-4,,,,Sparkbrook Hub,ready,,nwipe,{days_ago(2)},Workshop")
    lines.append(f"sim,,,,{make_iccid(9)},EE,,Sparkbrook Hub,,,manufacturer-reset,{days_ago(2)},Workshop")
    body = "\n".join(lines) + "\n"
    response = await import_csv(client, staff, body, "?dry_run=true")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["valid"] is False and report["dry_run"] is True and report["rows"] == 10 and report["created"] == 0
    found = {(e["row"], e["field"]) for e in report["errors"]}
    assert {
        (3, "iccid"),
        (4, "msisdn"),
        (5, "serial_number"),
        (6, "centre"),
        (7, "status"),
        (8, "status"),
        (9, "tag"),
        (10, "wipe_certificate_reference"),
        (11, "wipe_method"),
    } <= found
    assert not any(e["row"] == 2 for e in report["errors"])
    for table in INVENTORY_TABLES:
        assert await count_rows(sessions, table) == 0

    real = await import_csv(client, staff, body)
    errors = assert_problem(real, 422)["errors"]
    assert {(e["row"], e["field"]) for e in errors} == {(e["row"], e["field"]) for e in report["errors"]}
    assert await count_rows(sessions, "asset") == 0


async def test_a_clean_dry_run_then_a_real_import_as_one_donation(client, staff, centre, donor, sessions):
    body = "kind,make,model,serial_number\nlaptop,Dell,Latitude,A-1\nchromebook,Acer,C733,A-2\n"
    dry = (await import_csv(client, staff, body, f"?dry_run=true&centre_id={centre['id']}")).json()
    assert dry == {"dry_run": True, "rows": 2, "created": 0, "valid": True, "errors": [], "tags": []}
    assert await count_rows(sessions, "asset") == 0
    real = await import_csv(client, staff, body, f"?centre_id={centre['id']}&donor_id={donor['id']}")
    assert real.status_code == 200, real.text
    tags = real.json()["tags"]
    assert tags[0].startswith("LAP-") and tags[1].startswith("CHR-")
    donations = (await client.get("/api/v1/donations", headers=staff.headers)).json()
    assert donations["total"] == 1 and donations["items"][0]["donor_id"] == donor["id"]
    # Imported again: the serials are now taken, so nothing more is written.
    again = await import_csv(client, staff, body, f"?centre_id={centre['id']}")
    assert {e["field"] for e in assert_problem(again, 422)["errors"]} == {"serial_number"}
    assert await count_rows(sessions, "asset") == 2


async def test_a_header_without_kind_or_with_unknown_columns_is_refused(client, staff, centre):
    body = assert_problem(await import_csv(client, staff, "make,colour\nDell,red\n"), 422)
    assert {(e["row"], e["field"]) for e in body["errors"]} == {(1, "kind"), (1, "colour")}


async def test_volunteers_cannot_import(client, volunteer):
    assert_problem(await import_csv(client, volunteer, "kind\nlaptop\n"), 403)


async def test_the_cli_imports_with_a_summary(database_url, client, staff, centre, tmp_path, sessions):
    path = tmp_path / "stock.csv"
    path.write_text(
        "kind,make,model,serial_number,centre\nlaptop,Dell,Latitude,C-1,Sparkbrook Hub\n"
        "laptop,Dell,Latitude,C-2,Sparkbrook Hub\n"
    )
    env = {"LENDING_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin", **child_environment()}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "lending", "import", "assets", str(path), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    dry = run("--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "2 row(s) checked" in dry.stdout
    assert await count_rows(sessions, "asset") == 0
    real = run()
    assert real.returncode == 0, real.stderr
    assert "Imported 2 asset(s)" in real.stdout
    assert await count_rows(sessions, "asset") == 2
    again = run()
    assert again.returncode == 1 and "serial_number" in again.stderr
    assert await count_rows(sessions, "asset") == 2


DANGEROUS = ['=HYPERLINK("http://x")', "+cmd", "-1+1", "@SUM(1)", "\tx", "\rx", "  =1+1", "'=already quoted"]


async def test_cells_a_spreadsheet_would_run_are_neutralised_in_the_export(client, staff, donate, sessions):
    from lending.audit.recorder import set_actor

    donation = await donate(*(laptop(f"INJ-{i}", model="Latitude") for i in range(len(DANGEROUS))))
    tags = [a["tag"] for a in donation["assets"]]
    # Through the API, leading tabs and spaces are trimmed; written straight to the database (an older version, a
    # hand-made import) they are not, and the export must still be safe.
    async with sessions() as session, session.begin():
        set_actor(session, user_id=None, label="test-setup")
        for tag, note in zip(tags, DANGEROUS, strict=True):
            await session.execute(
                text("UPDATE asset SET notes = :note, model = :model WHERE tag = :tag"),
                {"note": note, "model": note, "tag": tag},
            )
    exported = await export(client, staff)
    rows = {row["tag"]: row for row in csv.DictReader(io.StringIO(exported))}
    for tag, note in zip(tags, DANGEROUS, strict=True):
        for column in ("notes", "model"):
            assert rows[tag][column] == "'" + note, (column, note)
    # Numbers and dates are ours and stay numbers.
    assert rows[tags[0]]["ram_gb"] == "8" and rows[tags[0]]["charger_included"] == "true"

    # The file imports back to exactly what was typed.
    await empty_the_stock(sessions)
    response = await import_csv(client, staff, exported)
    assert response.status_code == 200, response.text
    async with sessions() as session:
        stored = dict((await session.execute(text("SELECT tag, notes FROM asset"))).all())
    # The import trims cells, as it always has; everything else is restored.
    assert {stored[tag] for tag in tags} == {note.strip() for note in DANGEROUS}


def rows_across_chunks(extra: list[str]) -> str:
    """A file longer than one checking chunk: clean tagged laptops (every tenth wiped and ready), then `extra`."""
    today = date.today().isoformat()
    lines = [
        "kind,make,model,serial_number,centre,status,tag,"
        "wipe_method,wipe_performed_on,wipe_certificate_reference,wipe_performed_by"
    ]
    for n in range(1, CHECK_ROWS + 1):
        if n % 10 == 0:
            lines.append(
                f"laptop,Dell,Latitude,CH-{n},Sparkbrook Hub,ready,{Tag('LAP', n)},nwipe,{today},NW-{n},Workshop"
            )
        else:
            lines.append(f"laptop,Dell,Latitude,CH-{n},Sparkbrook Hub,,{Tag('LAP', n)},,,,")
    return "\n".join(lines + extra) + "\n"


async def test_a_file_over_several_chunks_is_imported_whole(client, staff, centre, sessions):
    body = rows_across_chunks(["laptop,HP,ProBook,LAST-1,Sparkbrook Hub,,,,,,"])
    response = await import_csv(client, staff, body)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["rows"] == CHECK_ROWS + 1 and report["created"] == CHECK_ROWS + 1
    assert str(Tag("LAP", 10)) in report["tags"]
    assert await count_rows(sessions, "asset") == CHECK_ROWS + 1
    assert await count_rows(sessions, "wipe_certificate") == CHECK_ROWS // 10
    asset = (await client.get(f"/api/v1/assets/{Tag('LAP', 10)}", headers=staff.headers)).json()
    assert asset["status"] == "ready" and asset["wiped_since_intake"] is True


async def test_repeats_of_an_earlier_chunk_are_reported_alike_whether_or_not_it_was_written(
    client, staff, centre, sessions
):
    today = date.today().isoformat()
    body = rows_across_chunks(
        [
            "laptop,dell,Latitude,ch-3,Sparkbrook Hub,,,,,,",
            f"laptop,HP,ProBook,HP-9,Sparkbrook Hub,,{Tag('LAP', 20)},,,,",
            f"laptop,HP,ProBook,HP-10,Sparkbrook Hub,ready,,nwipe,{today},nw-30,Workshop",
        ]
    )
    dry = (await import_csv(client, staff, body, "?dry_run=true")).json()
    after = CHECK_ROWS + 2  # the first row after the first chunk (the header is row 1)
    expected = [
        (21, "tag", "appears twice in the file"),
        (after, "serial_number", "repeats 4.serial_number"),
        (after + 1, "tag", "appears twice in the file"),
        (after + 2, "wipe_certificate_reference", "repeats row 31"),
    ]
    assert [(e["row"], e["field"], e["message"]) for e in dry["errors"]] == expected
    # A real import writes the first chunk before it reads the rest: the same report, and nothing is kept.
    real = assert_problem(await import_csv(client, staff, body), 422)["errors"]
    assert [(e["row"], e["field"], e["message"]) for e in real] == expected
    for table in ("asset", "wipe_certificate", "asset_event", "donation"):
        assert await count_rows(sessions, table) == 0
