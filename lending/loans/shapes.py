"""What each actor sees of a loan: the JSON view, and the CSV's columns (family contact for staff and admin)."""

from __future__ import annotations

from datetime import date
from typing import Any

from lending.access import Actor
from lending.core.csv import csv_text
from lending.families.models import Family
from lending.loans.models import LoanAddendum, LoanExtension
from lending.loans.schemas import (
    AcceptanceOut,
    AddendumOut,
    ExtensionOut,
    LoanItemOut,
    LoanOut,
    SimBarringOut,
)
from lending.loans.service import Barring, LoanFilters, LoanService, LoanView


def present(view: LoanView) -> LoanOut:
    loan, acceptance = view.loan, view.acceptance
    return LoanOut(
        id=loan.id,
        reference=loan.reference,
        family_id=loan.family_id,
        nomination_id=loan.nomination_id,
        centre_id=loan.centre_id,
        status=loan.status,
        overdue=view.overdue,
        issued_at=loan.issued_at,
        issued_by_id=loan.issued_by_id,
        due_on=loan.due_on,
        closed_at=loan.closed_at,
        notes=loan.notes,
        gift_reason=loan.gift_reason,
        agreement="signed" if acceptance else "unsigned",
        items=[
            LoanItemOut(
                asset_id=a.id,
                tag=a.tag,
                kind=a.kind,
                make=a.make,
                model=a.model,
                serial_number=a.serial_number,
                iccid=a.iccid,
                network=a.network,
                ended_at=i.ended_at,
                outcome=i.outcome,
                return_condition=i.return_condition,
                charger_returned=i.charger_returned,
                return_notes=i.return_notes,
                police_reference=i.police_reference,
                sim_barring_required=i.sim_barring_required,
                barred_on=i.barred_on,
                barring_reference=i.barring_reference,
            )
            for i, a in view.items
        ],
        extensions=[present_extension(e, view.addenda.get(e.id)) for e in view.extensions],
        acceptance=AcceptanceOut(
            signer_name=acceptance.signer_name,
            relationship=acceptance.relationship_to_family,
            signed_at=acceptance.signed_at,
            witnessed_by_id=acceptance.witnessed_by_id,
            has_signature_image=acceptance.signature_png is not None,
            signed_pdf_sha256=acceptance.signed_pdf_sha256,
            signed_pdf_withdrawn_at=acceptance.signed_pdf_withdrawn_at,
        )
        if acceptance
        else None,
    )


def present_addendum(addendum: LoanAddendum) -> AddendumOut:
    return AddendumOut(
        status=addendum.status,  # type: ignore[arg-type]  # one of the two the property gives
        signer_name=addendum.signer_name,
        relationship=addendum.relationship_to_family,
        signed_at=addendum.signed_at,
        witnessed_by_id=addendum.witnessed_by_id,
        has_signature_image=addendum.signature_png is not None,
        signed_pdf_sha256=addendum.signed_pdf_sha256,
        signed_pdf_withdrawn_at=addendum.signed_pdf_withdrawn_at,
    )


def present_extension(extension: LoanExtension, addendum: LoanAddendum | None) -> ExtensionOut:
    return ExtensionOut(
        id=extension.id,
        previous_due_on=extension.previous_due_on,
        due_on=extension.due_on,
        reason=extension.reason,
        extended_by_id=extension.extended_by_id,
        created_at=extension.created_at,
        addendum=present_addendum(addendum) if addendum is not None else None,
    )


def present_barring(b: Barring) -> SimBarringOut:
    item, asset = b.item, b.asset
    # The barring list holds only items that ended lost or stolen.
    assert item.outcome is not None and item.ended_at is not None
    return SimBarringOut(
        tag=asset.tag,
        iccid=asset.iccid,
        msisdn=asset.msisdn,
        network=asset.network,
        loan_id=b.loan.id,
        loan_reference=b.loan.reference,
        outcome=item.outcome,
        reported_at=item.ended_at,
        police_reference=item.police_reference,
        sim_barring_required=item.sim_barring_required,
        barred_on=item.barred_on,
        barring_reference=item.barring_reference,
        barred_by_id=item.barred_by_id,
    )


CSV_COLUMNS = [
    "reference",
    "status",
    "overdue",
    "days_overdue",
    "issued_on",
    "due_on",
    "centre_id",
    "family_id",
    "items",
]
CONTACT_COLUMNS = ["lead_name", "phone", "preferred_language"]


def sees_family_contact(actor: Actor) -> bool:
    return actor.may("loans.see_family_contact")


def csv_columns(actor: Actor) -> list[str]:
    return CSV_COLUMNS + (CONTACT_COLUMNS if sees_family_contact(actor) else [])


def csv_row(view: LoanView, actor: Actor, contacts: dict[int, Family], today: date) -> dict[str, Any]:
    """One loan as a CSV row; the family's contact only for those who phone families (never the desk)."""
    loan = view.loan
    row: dict[str, Any] = {
        "reference": loan.reference,
        "status": loan.status,
        "overdue": view.overdue,
        "days_overdue": (today - loan.due_on).days if view.overdue else 0,
        "issued_on": loan.issued_at.date(),
        "due_on": loan.due_on,
        "centre_id": loan.centre_id,
        "family_id": loan.family_id,
        "items": " ".join(a.tag for i, a in view.items if i.ended_at is None),
    }
    if sees_family_contact(actor):
        family = contacts.get(loan.family_id)
        row.update(
            lead_name=family.lead_name if family else "",
            phone=(family.phone or "") if family else "",
            preferred_language=family.preferred_language if family else "",
        )
    return row


TO_BAR_COLUMNS = ["tag", "iccid", "msisdn", "network", "loan_reference", "outcome", "reported_at", "police_reference"]


def barring_csv(barrings: list[Barring]) -> str:
    """The SIMs to bar as the networks are sent them: the API's CSV and the staff page's download alike."""
    return csv_text(TO_BAR_COLUMNS, [present_barring(b).model_dump() for b in barrings])


async def loans_csv(loans: LoanService, filters: LoanFilters, actor: Actor) -> str:
    """Loans as CSV: the API's download and the staff loans page's alike (family contact only for staff)."""
    views = await loans.views(await loans.all(filters))
    wanted = [v.loan.family_id for v in views] if sees_family_contact(actor) else []
    contacts = await loans.families_contacts(wanted)
    today = date.today()
    return csv_text(csv_columns(actor), [csv_row(view, actor, contacts, today) for view in views])
