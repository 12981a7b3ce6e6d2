"""Rules the inventory data must keep: wipes since the last intake, one device per certificate, SIM dates, serials
unique whatever their case, tags however they are typed, and a search that finds what the query looks like.

The pure rules (the lifecycle table and its guards, tag parsing and check characters) are tested at the end,
without a database."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from stdnum.iso7064 import mod_37_36

from lending.audit.recorder import set_actor
from lending.core.errors import Conflict, Invalid
from lending.inventory.lifecycle import Status, admit, allowed_moves, transition
from lending.inventory.models import HOLDS_DATA, Asset, AssetKind, RetirementReason, WipeCertificate
from lending.inventory.tags import BadTag, Tag, compact, normalise_tag, parse_tag, tag_start
from tests.inventory.conftest import laptop, make_iccid, sim
from tests.inventory.test_csv import import_csv
from tests.support import assert_problem, count_rows


def days_ago(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()


async def wipe(client, actor, tag, **fields):
    body = {
        "method": "nwipe",
        "performed_on": date.today().isoformat(),
        "performed_by": "Sam at the workshop",
        "certificate_reference": f"NW-{tag}",
        **fields,
    }
    return await client.post(f"/api/v1/assets/{tag}/wipes", json=body, headers=actor.headers)


async def move_to(client, actor, tag, to, **fields):
    return await client.post(f"/api/v1/assets/{tag}/transitions", json={"to": to, **fields}, headers=actor.headers)


async def asset(client, actor, tag) -> dict:
    return (await client.get(f"/api/v1/assets/{tag}", headers=actor.headers)).json()


# --- wipes ---------------------------------------------------------------------------------------------------------


async def test_a_wipe_cannot_be_dated_before_the_donation_came_in_nor_in_the_future(client, staff, donate, sessions):
    tag = (await donate(laptop(), received_on=days_ago(5)))["assets"][0]["tag"]
    for performed_on in (days_ago(6), days_ago(30)):
        body = assert_problem(await wipe(client, staff, tag, performed_on=performed_on), 422, "performed_on")
        assert days_ago(5) in body["detail"]  # the day it came in is named
    assert_problem(
        await wipe(client, staff, tag, performed_on=(date.today() + timedelta(days=1)).isoformat()), 422, "performed_on"
    )
    assert await count_rows(sessions, "wipe_certificate") == 0
    # Done between the donation and today: it covers the device.
    assert (await wipe(client, staff, tag, performed_on=days_ago(3))).status_code == 201
    assert (await asset(client, staff, tag))["wiped_since_intake"] is True


async def test_a_back_dated_wipe_after_the_device_came_back_is_refused_and_the_gate_stays_shut(
    client, staff, donate, sessions
):
    tag = (await donate(laptop(), received_on=days_ago(10)))["assets"][0]["tag"]
    await move_to(client, staff, tag, "in_refurbishment")
    assert (
        await wipe(client, staff, tag, performed_on=days_ago(8), certificate_reference="NW-FIRST")
    ).status_code == 201
    assert (await move_to(client, staff, tag, "ready")).status_code == 200
    # Lost, then found today: it came in again, and the wipe of eight days ago no longer covers it.
    await move_to(client, staff, tag, "lost")
    await move_to(client, staff, tag, "in_refurbishment", reason="found")
    assert (await asset(client, staff, tag))["wiped_since_intake"] is False
    for back_dated in (days_ago(1), days_ago(8)):
        body = assert_problem(
            await wipe(
                client, staff, tag, performed_on=back_dated, certificate_reference=None, method="manufacturer-reset"
            ),
            422,
            "performed_on",
        )
        assert date.today().isoformat() in body["detail"]
    assert await count_rows(sessions, "wipe_certificate") == 1
    assert "wipe" in assert_problem(await move_to(client, staff, tag, "ready"), 409)["detail"]

    # The gate itself compares the performed date, not only when the row was written: a back-dated certificate
    # that got in some other way (an older version, a hand-edited database) does not open it.
    async with sessions() as session, session.begin():
        set_actor(session, user_id=None, label="test-setup")
        held = (await session.scalars(select(Asset).where(Asset.tag == tag))).one()
        session.add(
            WipeCertificate(
                asset_id=held.id,
                method="nwipe",
                performed_on=date.today() - timedelta(days=2),
                performed_by="Someone",
                certificate_reference="NW-OLD",
                notes="",
                recorded_at=datetime.now(UTC),
            )
        )
    assert (await asset(client, staff, tag))["wiped_since_intake"] is False
    assert_problem(await move_to(client, staff, tag, "ready"), 409)
    exported = list(csv.DictReader(io.StringIO((await client.get("/api/v1/assets.csv", headers=staff.headers)).text)))
    assert exported[0]["wipe_certificate_reference"] == ""  # no wipe since intake to export

    assert (await wipe(client, staff, tag, certificate_reference="NW-SECOND")).status_code == 201
    assert (await move_to(client, staff, tag, "ready")).status_code == 200


async def test_a_certificate_reference_covers_one_device(client, staff, donate, sessions):
    first, second = [a["tag"] for a in (await donate(laptop("A"), laptop("B"), received_on=days_ago(3)))["assets"]]
    recorded = await wipe(
        client, staff, first, certificate_reference="BL-2026-77", method="blancco", performed_on=days_ago(1)
    )
    assert recorded.status_code == 201
    # Sent again as it was (a retry): the same record, not a second one.
    again = await wipe(
        client, staff, first, certificate_reference="BL-2026-77", method="blancco", performed_on=days_ago(1)
    )
    assert again.status_code == 201 and again.json()["id"] == recorded.json()["id"]
    assert await count_rows(sessions, "wipe_certificate") == 1
    for reference in ("BL-2026-77", "bl-2026-77"):
        body = assert_problem(
            await wipe(client, staff, second, certificate_reference=reference, method="blancco"),
            409,
            "certificate_reference",
        )
        assert body["existing_tag"] == first and first in body["detail"]
    # The same reference for the same device but another wipe is not the same certificate either.
    assert_problem(
        await wipe(client, staff, first, certificate_reference="BL-2026-77", method="blancco"),
        409,
        "certificate_reference",
    )
    assert await count_rows(sessions, "wipe_certificate") == 1
    assert (await wipe(client, staff, second, certificate_reference="BL-2026-78", method="blancco")).status_code == 201


async def test_the_import_keeps_the_wipe_rules(client, staff, centre, donor, sessions):
    donate_first = await client.post(
        "/api/v1/donations",
        json={
            "donor_id": donor["id"],
            "centre_id": centre["id"],
            "received_on": days_ago(2),
            "items": [laptop("HELD")],
        },
        headers=staff.headers,
    )
    held_tag = donate_first.json()["assets"][0]["tag"]
    assert (await wipe(client, staff, held_tag, certificate_reference="NW-HELD")).status_code == 201
    header = (
        "kind,make,model,serial_number,status,wipe_method,wipe_performed_on,wipe_performed_by,"
        "wipe_certificate_reference"
    )
    rows = [
        f"laptop,HP,ProBook,I-1,ready,nwipe,{days_ago(1)},Workshop,NW-1",
        f"laptop,HP,ProBook,I-2,ready,nwipe,{days_ago(1)},Workshop,nw-1",
        f"laptop,HP,ProBook,I-3,ready,nwipe,{days_ago(1)},Workshop,NW-HELD",
        f"laptop,HP,ProBook,I-4,ready,nwipe,{(date.today() + timedelta(days=1)).isoformat()},Workshop,NW-4",
        f"laptop,HP,ProBook,I-5,ready,nwipe,{days_ago(3)},Workshop,NW-5",
    ]
    body = "\n".join([header, *rows]) + "\n"
    # Recorded as a donation received yesterday: a wipe three days old was before the laptops came in.
    report = (
        await import_csv(
            client,
            staff,
            body,
            f"?dry_run=true&centre_id={centre['id']}&donor_id={donor['id']}&received_on={days_ago(1)}",
        )
    ).json()
    found = {(e["row"], e["field"]): e["message"] for e in report["errors"]}
    assert set(found) == {
        (3, "wipe_certificate_reference"),
        (4, "wipe_certificate_reference"),
        (5, "wipe_performed_on"),
        (6, "wipe_performed_on"),
    }
    assert found[(3, "wipe_certificate_reference")] == "repeats row 2"
    assert found[(4, "wipe_certificate_reference")] == f"already recorded for {held_tag}"
    real = await import_csv(
        client, staff, body, f"?centre_id={centre['id']}&donor_id={donor['id']}&received_on={days_ago(1)}"
    )
    assert_problem(real, 422, "wipe_certificate_reference", "wipe_performed_on")
    assert await count_rows(sessions, "asset") == 1
    assert_problem(
        await import_csv(
            client,
            staff,
            body,
            f"?centre_id={centre['id']}&donor_id={donor['id']}&received_on={days_ago(-1)}",
        ),
        422,
        "received_on",
    )

    # Without a donation's date, the file's wipe stands for the wipe since the asset came in.
    clean = "\n".join([header, rows[0], rows[4]]) + "\n"
    imported = await import_csv(client, staff, clean, f"?centre_id={centre['id']}")
    assert imported.status_code == 200, imported.text
    for tag in imported.json()["tags"]:
        shown = await asset(client, staff, tag)
        assert shown["status"] == "ready" and shown["wiped_since_intake"] is True


# --- SIM dates, serials ------------------------------------------------------------------------------------------


async def test_a_sim_cannot_expire_before_it_was_activated(client, staff, centre, donate, post_donation, sessions):
    activated = days_ago(10)
    assert_problem(
        await post_donation(sim(1, activated_on=activated, expires_on=days_ago(11))), 422, "items[0].expires_on"
    )
    tag = (await donate(sim(1, activated_on=activated, expires_on=activated)))["assets"][0]["tag"]
    for change in ({"expires_on": days_ago(11)}, {"activated_on": days_ago(-1), "expires_on": activated}):
        assert_problem(
            await client.patch(f"/api/v1/assets/{tag}", json=change, headers=staff.headers), 422, "expires_on"
        )
    body = (
        f"kind,iccid,network,activated_on,expires_on,centre\nsim,{make_iccid(5)},EE,{activated},{days_ago(11)},"
        f"Sparkbrook Hub\n"
    )
    report = (await import_csv(client, staff, body, "?dry_run=true")).json()
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(2, "expires_on")]
    assert await count_rows(sessions, "asset") == 1


async def test_serial_numbers_are_unique_whatever_their_case(client, staff, centre, donate, post_donation, sessions):
    tag = (await donate(laptop("ABC-123")))["assets"][0]["tag"]
    other = (await donate(laptop("XYZ-9")))["assets"][0]["tag"]
    body = assert_problem(await post_donation(laptop("abc-123")), 409, "items[0].serial_number")
    assert tag in body["detail"]
    assert_problem(await post_donation(laptop("Q-1"), laptop("q-1")), 422, "items[1].serial_number")
    assert_problem(
        await client.patch(f"/api/v1/assets/{other}", json={"serial_number": "Abc-123"}, headers=staff.headers),
        409,
        "serial_number",
    )
    # Its own serial in another case is no clash.
    ok = await client.patch(f"/api/v1/assets/{tag}", json={"serial_number": "abc-123"}, headers=staff.headers)
    assert ok.status_code == 200 and ok.json()["serial_number"] == "abc-123"
    lines = [
        "kind,make,model,serial_number,centre",
        "laptop,HP,ProBook,SN-77,Sparkbrook Hub",
        "laptop,hp,ProBook,sn-77,Sparkbrook Hub",
        "laptop,Dell,Latitude,ABC-123,Sparkbrook Hub",
    ]
    report = (await import_csv(client, staff, "\n".join(lines) + "\n", "?dry_run=true")).json()
    assert {(e["row"], e["field"]) for e in report["errors"]} == {(3, "serial_number"), (4, "serial_number")}
    assert_problem(await import_csv(client, staff, "\n".join(lines) + "\n"), 422, "serial_number")
    assert await count_rows(sessions, "asset") == 2


# --- tags and search ---------------------------------------------------------------------------------------------


async def test_a_tag_is_found_however_it_is_spaced_hyphenated_or_cased(client, volunteer, donate):
    tag = (await donate(laptop()))["assets"][0]["tag"]
    prefix, number, check = tag.split("-")
    spellings = [
        tag,
        tag.lower(),
        f" {tag} ",
        f"{prefix} {number} {check}",
        f"{prefix}{number}{check}".lower(),
        f"{prefix.lower()} {number}{check}",
        f"{prefix}-{number[:3]} {number[3:]}-{check}",
        f"{prefix}\u2013{number}\u2013{check}",
        " ".join(tag.replace("-", "")),
    ]
    for typed in spellings:
        response = await client.get(f"/api/v1/assets/{typed}", headers=volunteer.headers)
        assert response.status_code == 200, typed
        assert response.json()["tag"] == tag
        history = await client.get(f"/api/v1/assets/{typed}/history", headers=volunteer.headers)
        assert history.status_code == 200, typed
    wrong = "A" if check != "A" else "B"
    assert_problem(await client.get(f"/api/v1/assets/{prefix} {number} {wrong}", headers=volunteer.headers), 404)


async def test_search_finds_what_the_query_looks_like(client, staff, donate):
    # Three laptops and a SIM whose phone number and ICCID are full of the laptops' digits.
    donation = await donate(
        laptop("S-1", make="Lenovo", model="ThinkPad T480"), laptop("S-2"), laptop("S-3"), sim(3, msisdn="07911 000003")
    )
    tags = [a["tag"] for a in donation["assets"]]
    laptop3, sim_tag = tags[2], tags[3]
    prefix, number, check = laptop3.split("-")

    async def found(q: str) -> list[str]:
        response = await client.get("/api/v1/assets", params={"q": q}, headers=staff.headers)
        assert response.status_code == 200, response.text
        return [a["tag"] for a in response.json()["items"]]

    # A tag or the start of one, however it is written, finds the tag and not the phone numbers.
    for q in (
        f"{prefix}-{number}".lower(),
        f"{prefix}{number}",
        f"{prefix} {number}",
        f"{prefix}-{number}-{check}",
        f"{prefix.lower()} {number} {check.lower()}",
    ):
        assert await found(q) == [laptop3], q
    assert await found(f"{prefix}-00000") == tags[:3]
    # Numbers find ICCIDs, IMEIs and phone numbers, however they are typed.
    for q in ("07911000003", "07911 000003", "+44 7911 000003", "7911 000003"):
        assert await found(q) == [sim_tag], q
    assert await found(make_iccid(3)[-8:]) == [sim_tag]
    # Words find make, model and serial numbers; LIKE's wildcards are only characters.
    assert await found("thinkpad") == [tags[0]]
    assert await found("s-2") == [tags[1]]
    assert await found("%") == [] and await found("_") == []


# --- the pure rules, without a database ---------------------------------------------------------------------------

S = Status
# The README's lifecycle, written out move by move. A staff request may make DIRECT moves; a loan also makes these.
DIRECT = {
    S.received: {S.in_refurbishment, S.repair, S.retired, S.lost, S.stolen},
    S.in_refurbishment: {S.ready, S.repair, S.retired, S.lost, S.stolen},
    S.ready: {S.in_refurbishment, S.repair, S.retired, S.lost, S.stolen},
    S.on_loan: {S.lost, S.stolen},
    S.returned: {S.in_refurbishment, S.repair, S.retired, S.lost, S.stolen},
    S.repair: {S.in_refurbishment, S.retired, S.lost, S.stolen},
    S.lost: {S.in_refurbishment, S.retired},
    S.stolen: {S.in_refurbishment, S.retired},
    S.retired: set(),
    S.gifted: set(),
}
THROUGH_A_LOAN = {(S.ready, S.on_loan), (S.on_loan, S.returned), (S.on_loan, S.gifted)}


def an_asset(status: Status, kind: AssetKind = AssetKind.accessory, **fields) -> Asset:
    return Asset(tag="ACC-000001-X", kind=kind.value, status=status.value, **fields)


def test_the_table_covers_every_status():
    assert set(DIRECT) == set(Status)


@pytest.mark.parametrize("via_loan", [False, True], ids=["request", "loan"])
@pytest.mark.parametrize("after", list(Status), ids=str)
@pytest.mark.parametrize("before", list(Status), ids=str)
def test_every_move_is_allowed_or_refused_as_the_lifecycle_says(before, after, via_loan):
    asset = an_asset(before)
    allowed = after in DIRECT[before] or (via_loan and (before, after) in THROUGH_A_LOAN)
    # The guards are met (no wipe needed for an accessory, a reason to retire): only the table decides.
    move = lambda: transition(asset, after, via_loan=via_loan, retired_reason=RetirementReason.recycled)  # noqa: E731
    if allowed:
        change = move()
        assert (change.before, change.after) == (before, after)
        assert asset.status == after and asset.status_changed_at is not None
    else:
        with pytest.raises(Conflict) as refused:
            move()
        assert asset.status == before
        # The answer lists what is allowed from here.
        shown = sorted(m.value for m in DIRECT[before] | {a for b, a in THROUGH_A_LOAN if b is before and via_loan})
        assert refused.value.extra["allowed"] == shown
        assert before.value in refused.value.detail


def test_allowed_moves_leave_out_loan_moves_unless_a_loan_asks():
    assert allowed_moves(S.ready) == sorted(m.value for m in DIRECT[S.ready])
    assert allowed_moves(S.ready, via_loan=True) == sorted(m.value for m in DIRECT[S.ready] | {S.on_loan})
    assert allowed_moves(S.retired) == [] and allowed_moves(S.gifted) == []


@pytest.mark.parametrize("kind", sorted(HOLDS_DATA))
def test_a_device_that_holds_data_is_ready_only_after_a_wipe_since_intake(kind):
    asset = an_asset(S.in_refurbishment, kind)
    with pytest.raises(Conflict, match="wipe"):
        transition(asset, S.ready)
    assert asset.status == S.in_refurbishment
    transition(asset, S.ready, wiped_since_intake=True)
    assert asset.status == S.ready


@pytest.mark.parametrize("kind", sorted(set(AssetKind) - HOLDS_DATA))
def test_what_holds_no_data_needs_no_wipe_to_be_ready(kind):
    asset = an_asset(S.in_refurbishment, kind)
    transition(asset, S.ready)
    assert asset.status == S.ready


def test_an_expired_sim_cannot_be_ready_but_one_expiring_today_can():
    today = date(2030, 6, 15)  # given to the rule, not read from the clock
    expired = an_asset(S.in_refurbishment, AssetKind.sim, expires_on=today - timedelta(days=1))
    with pytest.raises(Conflict, match="expired"):
        transition(expired, S.ready, today=today)
    last_day = an_asset(S.in_refurbishment, AssetKind.sim, expires_on=today)
    transition(last_day, S.ready, today=today)
    assert last_day.status == S.ready
    unknown = an_asset(S.in_refurbishment, AssetKind.sim, expires_on=None)
    transition(unknown, S.ready, today=today)
    assert unknown.status == S.ready


def test_retiring_needs_a_reason_and_keeps_the_weee_reference():
    asset = an_asset(S.repair)
    with pytest.raises(Invalid) as refused:
        transition(asset, S.retired)
    assert [e.field for e in refused.value.errors] == ["retired_reason"]
    assert asset.status == S.repair
    transition(asset, S.retired, retired_reason=RetirementReason.parts, weee_reference="WEEE-7")
    assert (asset.status, asset.retired_reason, asset.weee_reference) == (S.retired, "parts", "WEEE-7")


@pytest.mark.parametrize(
    ("before", "after", "new_intake"),
    [
        (S.on_loan, S.returned, True),
        (S.lost, S.in_refurbishment, True),
        (S.stolen, S.in_refurbishment, True),
        (S.received, S.in_refurbishment, False),
        (S.ready, S.in_refurbishment, False),
        (S.returned, S.in_refurbishment, False),
        (S.repair, S.in_refurbishment, False),
    ],
)
def test_coming_back_from_outside_is_a_new_intake(before, after, new_intake):
    earlier = datetime(2020, 1, 1, tzinfo=UTC)
    asset = an_asset(before, intake_at=earlier)
    transition(asset, after, via_loan=True)
    assert (asset.intake_at != earlier) is new_intake


def test_an_imported_asset_starts_under_the_same_guards_but_never_in_a_loan_status():
    for status in (S.on_loan, S.returned, S.gifted):
        with pytest.raises(Invalid) as refused:
            admit(an_asset(S.received), status, wiped=True)
        assert [e.field for e in refused.value.errors] == ["status"]
    with pytest.raises(Conflict, match="wipe"):
        admit(an_asset(S.received, AssetKind.laptop), S.ready, wiped=False)
    ready = an_asset(S.received, AssetKind.laptop)
    admit(ready, S.ready, wiped=True)
    assert ready.status == S.ready


# Tags: LAP-000123-K, the last character an ISO 7064 mod 37,36 check over prefix and number.


@pytest.mark.parametrize(
    "typed",
    [
        "LAP-000003-",
        "lap-000003-",
        "LAP000003",
        "lap 000003 ",
        " L-A-P 0000-03 ",
        "LAP\u2013000003\u2013",
        "lap\u00a0000003",
    ],
)
def test_a_tag_parses_however_it_is_cased_spaced_or_hyphenated(typed):
    canonical = str(Tag("LAP", 3))
    check = canonical[-1]
    assert parse_tag(typed + check) == Tag("LAP", 3)
    assert normalise_tag(typed + check.lower()) == canonical


def test_a_tag_is_written_with_six_digits_and_its_check_character():
    assert re.fullmatch(r"LAP-000123-[0-9A-Z]", str(Tag("LAP", 123)))
    assert re.fullmatch(r"SIM-1234567-[0-9A-Z]", str(Tag("SIM", 1234567)))
    assert str(Tag("LAP", 123)) != str(Tag("LAP", 124))
    # The check character is the ISO 7064 mod 37,36 one, over prefix and number without separators.
    for n in range(1, 200):
        tag = str(Tag("TAB", n))
        assert mod_37_36.is_valid(tag.replace("-", "")), tag


def test_every_single_mistyped_character_is_refused():
    tag = str(Tag("LAP", 4071))
    body = tag.replace("-", "")
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for i, char in enumerate(body):
        for other in alphabet:
            if other == char:
                continue
            typo = body[:i] + other + body[i + 1 :]
            if i < 3 and not other.isalpha():
                continue  # no longer shaped like a tag at all: refused as such below
            with pytest.raises(BadTag):
                parse_tag(typo)


def test_neighbouring_characters_swapped_are_refused():
    body = str(Tag("LAP", 4071)).replace("-", "")
    for i in range(len(body) - 1):
        swapped = body[:i] + body[i + 1] + body[i] + body[i + 2 :]
        if swapped != body:
            with pytest.raises(BadTag):
                parse_tag(swapped)


@pytest.mark.parametrize(
    "text",
    ["", "LAP", "LAP-00003-X", "L-000003-X", "LAPTOP-000003-X", "123-000003-X", "LAP-0000000003-X", "LAP-000003-!"],
)
def test_what_is_not_shaped_like_a_tag_is_refused_by_name(text):
    with pytest.raises(BadTag, match="is not an asset tag"):
        parse_tag(text)


def test_a_wrong_check_character_says_the_tag_is_mistyped():
    tag = str(Tag("LAP", 3))
    wrong = "0" if tag[-1] != "0" else "1"
    with pytest.raises(BadTag, match="mistyped"):
        parse_tag(tag[:-1] + wrong)


def test_compact_and_the_beginning_of_a_tag():
    assert compact(" lap\u2011000 003-k ") == "LAP000003K"
    assert compact("") == ""
    assert tag_start("lap-0000") == "LAP0000" and tag_start("LAP-000003-K") == "LAP000003K"
    assert tag_start("lap") is None and tag_start("0000") is None and tag_start("Dell") is None
