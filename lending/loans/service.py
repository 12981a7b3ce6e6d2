"""Loans: issue a bundle under one signature, take it back, extend, and close as lost, stolen or gifted."""

from __future__ import annotations

import base64
import binascii
import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import anyio.to_thread
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import Select, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lending.access import Actor, may
from lending.accounts.models import User
from lending.audit.recorder import actor_of
from lending.centres.models import Centre
from lending.config import Settings
from lending.core import validators
from lending.core.errors import Conflict, FieldError, Invalid, NotFound
from lending.core.pagination import ListParams, list_page, order_by
from lending.families.models import Family, Nomination, NominationStatus
from lending.families.service import FamilyService
from lending.inventory.lifecycle import Status
from lending.inventory.models import NOT_DEVICES, Asset, AssetEventKind, AssetKind
from lending.inventory.service import AssetService
from lending.inventory.tags import BadTag, normalise_tag
from lending.loans import events
from lending.loans.idempotency import forget_family
from lending.loans.models import (
    ItemOutcome,
    Loan,
    LoanAcceptance,
    LoanAddendum,
    LoanExtension,
    LoanItem,
    LoanStatus,
    ending,
)
from lending.loans.schemas import (
    MAX_SIGNATURE_BYTES,
    MAX_SIGNATURE_PIXELS,
    MAX_SIGNATURE_SIDE,
    AcceptanceIn,
    BarringIn,
    LoanIn,
    OutcomeIn,
    ReturnIn,
)

# What a nomination's counts are met by.
COUNTS_AS = {
    "laptops": {AssetKind.laptop, AssetKind.chromebook, AssetKind.desktop},
    "tablets": {AssetKind.tablet},
    "sims": {AssetKind.sim},
}
LOAN_SORTABLE = {"issued_at": Loan.issued_at, "due_on": Loan.due_on, "status": Loan.status}
TO_BAR_SORTABLE = {"reported_at": LoanItem.ended_at, "tag": Asset.tag, "network": Asset.network}


def need_met_by(kind: AssetKind) -> str | None:
    """Which of a nomination's counts an asset of `kind` goes towards; None for what none counts (a charger)."""
    return next((need for need, kinds in COUNTS_AS.items() if kind in kinds), None)


@dataclass
class BasketLine:
    """One scanned tag in a desk's basket: the asset, why it cannot be lent (None if it can), and how it meets the
    nomination (`counts_as` one of its counts; `asked_for` False when it is more than, or other than, asked)."""

    tag: str
    problem: str | None = None
    asset: Asset | None = None
    counts_as: str | None = None
    asked_for: bool = True


class LoanRepository(SQLAlchemyAsyncRepository[Loan]):
    model_type = Loan

    @staticmethod
    def readable_by(actor: Actor) -> list[Any]:
        """Where-clauses narrowing loans to what `actor` may read: a school only loans made on its own nominations
        (a loan without a nomination belongs to no school)."""
        if not actor.is_school:
            return []
        # A loan's school is its nomination's, held so by a foreign key on the pair (0018).
        return [Loan.school_id == actor.school_id]

    @staticmethod
    def get_readable_statement(actor: Actor) -> Select[tuple[Loan]]:
        """Every report on loans starts here, so a school's figures can only ever count its own school's loans."""
        return select(Loan).where(*LoanRepository.readable_by(actor))


@dataclass
class LoanFilters:
    family_id: int | None = None
    centre_id: int | None = None
    nomination_id: int | None = None
    statuses: Sequence[LoanStatus] = ()
    overdue: bool | None = None
    due_within_days: int | None = None
    asset_tag: str | None = None
    sim_expiring_within_days: int | None = None


@dataclass
class Barring:
    """A lost or stolen SIM on the loan it was lost from: to bar with its network, or barred."""

    item: LoanItem
    asset: Asset
    loan: Loan


@dataclass
class LoanView:
    loan: Loan
    items: list[tuple[LoanItem, Asset]]
    extensions: list[LoanExtension] = field(default_factory=list)
    acceptance: LoanAcceptance | None = None
    # Each extension's addendum, by extension id: only extensions made after the agreement was signed have one.
    addenda: dict[int, LoanAddendum] = field(default_factory=dict)

    @property
    def overdue(self) -> bool:
        return self.loan.status == LoanStatus.active.value and self.loan.due_on < date.today()


class LoanService:
    def __init__(
        self,
        session: AsyncSession,
        inventory: AssetService,
        families: FamilyService,
        loan_days: int,
        settings: Settings | None = None,
    ) -> None:
        self.session = session
        # Handed to the listeners of lending.loans.events (messages render the family's notice with it).
        self.settings = settings
        self.inventory = inventory
        self.families = families
        self.loan_days = loan_days
        self.repo = LoanRepository(session=session)

    # --- issue ---------------------------------------------------------------------------------------------

    async def holder_of(self, asset_id: int) -> int | None:
        return await self.session.scalar(
            select(LoanItem.loan_id).where(LoanItem.asset_id == asset_id, LoanItem.ended_at.is_(None))
        )

    async def _not_available(self, asset: Asset, index: int) -> Conflict:
        holder = await self.holder_of(asset.id)
        where = f" on loan {holder} (LN-{holder:06d})" if holder else ""
        return Conflict(
            f"{asset.tag} is {asset.status}{where}, not ready to lend.",
            errors=[FieldError(f"items[{index}]", f"{asset.tag} is {asset.status}{where}")],
            asset=asset.tag,
            loan_id=holder,
        )

    async def lend_problem(self, asset: Asset, centre_id: int, index: int = 0) -> Conflict | None:
        """Why `asset` cannot go on a loan from `centre_id` now, or None: the one statement of that rule, for an
        issue and for a desk's basket checked as each item is scanned."""
        if asset.status != Status.ready:
            return await self._not_available(asset, index)
        if asset.centre_id != centre_id:
            return Conflict(
                f"{asset.tag} is at another centre (id {asset.centre_id}); move it here first.",
                errors=[FieldError(f"items[{index}]", "at another centre")],
                asset=asset.tag,
            )
        return None

    async def check_basket(
        self, scanned: Sequence[str], centre_id: int, nomination: Nomination | None
    ) -> list[BasketLine]:
        """A desk's basket before the loan is issued: each scanned tag as `issue` would judge it (nothing is
        locked or written), and how it meets what the nomination asked for, net of earlier loans against it."""
        lines: list[BasketLine] = []
        seen: set[str] = set()
        for raw in scanned:
            try:
                tag = normalise_tag(raw)
            except BadTag as exc:
                lines.append(BasketLine(raw.strip().upper(), problem=str(exc)))
                continue
            lines.append(BasketLine(tag, problem=f"{tag} is listed twice" if tag in seen else None))
            seen.add(tag)
        assets = await self.inventory.repository.by_tags([line.tag for line in lines if line.problem is None])
        wanted = await self.still_needed(nomination) if nomination is not None else None
        for index, line in enumerate(lines):
            if line.problem is not None:
                continue
            line.asset = assets.get(line.tag)
            if line.asset is None:
                line.problem = f"no asset tagged {line.tag}"
                continue
            if problem := await self.lend_problem(line.asset, centre_id, index):
                line.problem = problem.detail
                continue
            if wanted is not None:
                need = need_met_by(AssetKind(line.asset.kind))
                if need is None:
                    line.asked_for = False
                elif wanted[need] > 0:
                    wanted[need] -= 1
                    line.counts_as = need
                else:
                    line.counts_as, line.asked_for = need, False
        return lines

    async def issue(self, data: LoanIn, actor: Actor) -> LoanView:
        centre = await self.session.get(Centre, data.centre_id)
        if centre is None or not centre.is_active:
            raise Invalid.field("centre_id", f"no active centre with id {data.centre_id}")
        family = await self.session.get(Family, data.family_id)
        if family is None:
            raise Invalid.field("family_id", f"no family with id {data.family_id}")
        if family.erased_at is not None:
            raise Conflict(f"Family {family.id} has been erased; it cannot borrow.")
        nomination = None
        if data.nomination_id is not None:
            nomination = await self.session.get(Nomination, data.nomination_id)
            if nomination is None:
                raise Invalid.field("nomination_id", f"no nomination with id {data.nomination_id}")
            if nomination.family_id != family.id:
                raise Invalid.field("nomination_id", "that nomination is for another family")
            if nomination.status != NominationStatus.approved:
                raise Conflict(
                    f"Nomination {nomination.id} is {nomination.status}; only an approved nomination is lent against."
                )
        due_on = data.due_on or date.today() + timedelta(days=self.loan_days)
        if due_on <= date.today():
            raise Invalid.field("due_on", "must be after today")

        tags: list[str] = []
        errors: list[FieldError] = []
        for index, raw in enumerate(data.items):
            try:
                tag = normalise_tag(raw)
            except BadTag as exc:
                errors.append(FieldError(f"items[{index}]", str(exc)))
                continue
            if tag in tags:
                errors.append(FieldError(f"items[{index}]", f"{tag} is listed twice"))
            tags.append(tag)
        if errors:
            raise Invalid.of(errors)
        # Lock the assets (in id order, so two desks never deadlock); a racing issue waits here, then sees on_loan.
        assets = {
            a.tag: a
            for a in (
                await self.session.scalars(
                    select(Asset).where(Asset.tag.in_(tags)).order_by(Asset.id).with_for_update()
                )
            ).all()
        }
        missing = [FieldError(f"items[{i}]", f"no asset tagged {t}") for i, t in enumerate(tags) if t not in assets]
        if missing:
            raise Invalid.of(missing)
        for index, tag in enumerate(tags):
            if problem := await self.lend_problem(assets[tag], centre.id, index):
                raise problem

        actor_id, _ = actor_of(self.session)
        now = datetime.now(UTC)
        kinds = [assets[tag].kind for tag in tags]
        loan = Loan(
            family_id=family.id,
            device_count=sum(kind not in NOT_DEVICES for kind in kinds),
            sim_count=kinds.count(AssetKind.sim),
            children=family.children,
            nomination_id=data.nomination_id,
            school_id=nomination.school_id if nomination is not None else None,
            nominated_at=nomination.submitted_at if nomination is not None else None,
            postcode_district=family.postcode_district,
            centre_id=centre.id,
            status=LoanStatus.active.value,
            issued_at=now,
            issued_by_id=actor_id,
            due_on=due_on,
            notes=data.notes,
        )
        self.session.add(loan)
        await self.session.flush()
        items = []
        for tag in tags:
            asset = assets[tag]
            item = LoanItem(loan_id=loan.id, asset_id=asset.id, sim_barring_required=False)
            self.session.add(item)
            items.append((item, asset))
            await self.inventory.transition(
                asset,
                Status.on_loan,
                via_loan=True,
                reason=f"loan {loan.reference}",
                details={"loan_id": loan.id, "family_id": family.id},
            )
        try:
            await self.session.flush()
        except IntegrityError:
            # The partial unique index caught what the locked checks above could not see (data changed by hand).
            raise Conflict(f"One of {', '.join(tags)} is already on an active loan.", asset=tags[0]) from None
        if nomination is not None and await self._covers(nomination):
            await self.families.mark_fulfilled(nomination, f"loan {loan.reference}")
            await self.session.flush()
        # Just issued: the items are in hand, and there is no extension or acceptance yet.
        return LoanView(loan, items)

    async def _covers(self, nomination: Nomination) -> bool:
        return not any((await self.still_needed(nomination)).values())

    async def still_needed(self, nomination: Nomination) -> dict[str, int]:
        """What the nomination asked for that its loans have not yet met, by count (laptops, tablets, sims)."""
        kinds = (
            await self.session.scalars(
                select(Asset.kind)
                .join(LoanItem, LoanItem.asset_id == Asset.id)
                .join(Loan, Loan.id == LoanItem.loan_id)
                .where(Loan.nomination_id == nomination.id)
            )
        ).all()
        lent = Counter(need_met_by(AssetKind(k)) for k in kinds)
        return {need: max(0, getattr(nomination, need) - lent[need]) for need in COUNTS_AS}

    # --- reading -------------------------------------------------------------------------------------------

    async def get(self, loan_id: int) -> Loan:
        loan = await self.session.get(Loan, loan_id)
        if loan is None:
            raise NotFound(f"No loan with id {loan_id}.")
        return loan

    async def readable(self, loan_id: int, actor: Actor) -> Loan:
        """The loan if `actor` may read it (the access policy, in SQL), else the same 404 as a loan that does not
        exist: what a page or a document shows of a loan starts here."""
        loan = await self.session.scalar(LoanRepository.get_readable_statement(actor).where(Loan.id == loan_id))
        if loan is None:
            raise NotFound(f"No loan with id {loan_id}.")
        return loan

    async def view(self, loan: Loan) -> LoanView:
        return (await self.views([loan]))[0]

    async def views(self, loans: Sequence[Loan]) -> list[LoanView]:
        return await loan_views(self.session, loans)

    def _where(self, f: LoanFilters) -> list[Any]:
        today = date.today()
        where: list[Any] = []
        if f.family_id is not None:
            where.append(Loan.family_id == f.family_id)
        if f.centre_id is not None:
            where.append(Loan.centre_id == f.centre_id)
        if f.nomination_id is not None:
            where.append(Loan.nomination_id == f.nomination_id)
        if f.statuses:
            where.append(Loan.status.in_(f.statuses))
        if f.overdue is not None:
            late = (Loan.status == LoanStatus.active.value) & (Loan.due_on < today)
            where.append(late if f.overdue else ~late)
        if f.due_within_days is not None:
            where += [
                Loan.status == LoanStatus.active.value,
                Loan.due_on >= today,
                Loan.due_on <= today + timedelta(days=f.due_within_days),
            ]
        if f.asset_tag:
            try:
                tag = normalise_tag(f.asset_tag)
            except BadTag:
                raise Invalid.field("asset_tag", f"'{f.asset_tag}' is not a valid asset tag") from None
            where.append(exists().where(LoanItem.loan_id == Loan.id, LoanItem.asset_id == Asset.id, Asset.tag == tag))
        if f.sim_expiring_within_days is not None:
            where += [
                Loan.status == LoanStatus.active.value,
                exists().where(
                    LoanItem.loan_id == Loan.id,
                    LoanItem.ended_at.is_(None),
                    LoanItem.asset_id == Asset.id,
                    Asset.kind == AssetKind.sim,
                    Asset.expires_on.is_not(None),
                    Asset.expires_on <= today + timedelta(days=f.sim_expiring_within_days),
                ),
            ]
        return where

    async def list_loans(self, params: ListParams, filters: LoanFilters) -> tuple[list[Loan], int]:
        return await list_page(
            self.repo, params, *self._where(filters), sortable=LOAN_SORTABLE, default_sort="-issued_at"
        )

    async def all(self, filters: LoanFilters) -> list[Loan]:
        return list(
            (await self.session.scalars(select(Loan).where(*self._where(filters)).order_by(Loan.due_on, Loan.id))).all()
        )

    async def active_for_tag(self, tag: str) -> Loan:
        asset = await self.inventory.get_asset(tag)
        holder = await self.holder_of(asset.id)
        if holder is None:
            raise NotFound(f"{asset.tag} is not on loan (it is {asset.status}).")
        return await self.get(holder)

    async def families_contacts(self, family_ids: Sequence[int]) -> dict[int, Family]:
        if not family_ids:
            return {}
        return {f.id: f for f in await self.session.scalars(select(Family).where(Family.id.in_(family_ids)))}

    # --- after issue ---------------------------------------------------------------------------------------

    def _require_active(self, loan: Loan) -> None:
        if loan.status != LoanStatus.active.value:
            raise Conflict(f"Loan {loan.reference} is {loan.status}.")

    async def _items(self, loan: Loan) -> dict[str, tuple[LoanItem, Asset]]:
        """All the loan's items, locked against a concurrent return or outcome; those that ended already are kept
        too, because how every item ended decides how the loan closes (no second query for it)."""
        rows = (
            await self.session.execute(
                select(LoanItem, Asset)
                .join(Asset, Asset.id == LoanItem.asset_id)
                .where(LoanItem.loan_id == loan.id)
                .with_for_update()
            )
        ).all()
        return {asset.tag: (item, asset) for item, asset in rows}

    @staticmethod
    def _still_out(items: dict[str, tuple[LoanItem, Asset]]) -> dict[str, tuple[LoanItem, Asset]]:
        return {tag: pair for tag, pair in items.items() if pair[0].ended_at is None}

    def _close_if_done(
        self, loan: Loan, items: dict[str, tuple[LoanItem, Asset]], status: LoanStatus | None = None
    ) -> None:
        """Once nothing is left out, the loan closes: as `status` (a gift), else by how all its items ended."""
        if all(item.ended_at is not None for item, _ in items.values()):
            if status is None:
                status = ending([item.outcome for item, _ in items.values()])
            loan.status = status
            loan.closed_at = datetime.now(UTC)

    async def return_items(self, loan_id: int, data: ReturnIn) -> Loan:
        loan = await self.get(loan_id)
        self._require_active(loan)
        items = await self._items(loan)
        out = self._still_out(items)
        errors: list[FieldError] = []
        chosen: list[tuple[int, str]] = []
        for index, entry in enumerate(data.items):
            try:
                tag = normalise_tag(entry.tag)
            except BadTag as exc:
                errors.append(FieldError(f"items[{index}].tag", str(exc)))
                continue
            if tag not in out:
                errors.append(FieldError(f"items[{index}].tag", f"{tag} is not out on loan {loan.reference}"))
            elif tag in [t for _, t in chosen]:
                errors.append(FieldError(f"items[{index}].tag", f"{tag} is listed twice"))
            chosen.append((index, tag))
        if errors:
            raise Invalid.of(errors)
        actor_id, _ = actor_of(self.session)
        now = datetime.now(UTC)
        for index, tag in chosen:
            entry = data.items[index]
            item, asset = out[tag]
            item.ended_at, item.outcome = now, ItemOutcome.returned
            item.return_condition = entry.condition
            item.charger_returned = entry.charger_returned
            item.return_notes = entry.notes
            item.received_by_id = actor_id
            await self.inventory.transition(
                asset,
                Status.returned,
                via_loan=True,
                reason=f"returned from loan {loan.reference} ({entry.condition.value})",
                details={
                    "loan_id": loan.id,
                    "condition": entry.condition.value,
                    "charger_returned": entry.charger_returned,
                },
            )
        self._close_if_done(loan, items)
        await self.session.flush()
        return loan

    async def extend(self, loan_id: int, due_on: date, reason: str) -> Loan:
        loan = await self.get(loan_id)
        self._require_active(loan)
        if due_on <= loan.due_on:
            raise Invalid.field("due_on", f"must be after the current due date, {loan.due_on.isoformat()}")
        actor_id, _ = actor_of(self.session)
        extension = LoanExtension(
            loan_id=loan.id, previous_due_on=loan.due_on, due_on=due_on, reason=reason, extended_by_id=actor_id
        )
        self.session.add(extension)
        loan.due_on = due_on
        await self.session.flush()
        # The family signed for the old date: the new one is theirs to sign too. Before the agreement is signed
        # there is nothing to amend, since the agreement itself shows the new date.
        if await self.session.scalar(select(LoanAcceptance.id).where(LoanAcceptance.loan_id == loan.id)):
            self.session.add(LoanAddendum(extension_id=extension.id, loan_id=loan.id))
            await self.session.flush()
        await events.extended(self.session, loan, extension, self.settings)
        await self.session.flush()
        return loan

    async def record_outcome(self, loan_id: int, tag: str, data: OutcomeIn) -> Loan:
        loan = await self.get(loan_id)
        self._require_active(loan)
        try:
            normal = normalise_tag(tag)
        except BadTag as exc:
            raise NotFound(str(exc)) from None
        items = await self._items(loan)
        out = self._still_out(items)
        if normal not in out:
            raise NotFound(f"{normal} is not out on loan {loan.reference}.")
        item, asset = out[normal]
        outcome = ItemOutcome(data.outcome)
        item.ended_at, item.outcome = datetime.now(UTC), outcome
        item.police_reference = data.police_reference
        item.return_notes = data.notes
        item.sim_barring_required = asset.kind == AssetKind.sim
        await self.inventory.transition(
            asset,
            Status(outcome.value),
            via_loan=True,
            reason=f"{outcome.value} on loan {loan.reference}",
            details={
                "loan_id": loan.id,
                "police_reference": data.police_reference,
                "sim_barring_required": item.sim_barring_required,
            },
        )
        self._close_if_done(loan, items)
        await self.session.flush()
        return loan

    async def gift(self, loan_id: int, reason: str) -> Loan:
        loan = await self.get(loan_id)
        self._require_active(loan)
        now = datetime.now(UTC)
        items = await self._items(loan)
        for item, asset in self._still_out(items).values():
            item.ended_at, item.outcome = now, ItemOutcome.gifted
            await self.inventory.transition(
                asset,
                Status.gifted,
                via_loan=True,
                reason=f"gifted to the family on loan {loan.reference}",
                details={"loan_id": loan.id},
            )
        loan.gift_reason = reason
        self._close_if_done(loan, items, LoanStatus.gifted)
        await self.session.flush()
        return loan

    async def accept(self, loan_id: int, data: AcceptanceIn, actor: Actor) -> LoanAcceptance:
        loan = await self.get(loan_id)
        self._require_active(loan)
        if await self.session.scalar(select(LoanAcceptance.id).where(LoanAcceptance.loan_id == loan.id)):
            raise Conflict(f"The agreement for loan {loan.reference} is already signed.")
        witness = await self._witness(loan, data.witnessed_by_id or actor.id, actor)
        signed_at = _signed_at(data, loan.issued_at, "the loan was issued")
        image = await _signature_image(data)
        acceptance = LoanAcceptance(
            loan_id=loan.id,
            signer_name=data.signer_name,
            relationship_to_family=data.relationship,
            signed_at=signed_at,
            witnessed_by_id=witness.id,
            signature_png=image,
        )
        try:
            async with self.session.begin_nested():
                self.session.add(acceptance)
        except IntegrityError:
            raise Conflict(f"The agreement for loan {loan.reference} is already signed.") from None
        return acceptance

    async def extension(self, loan: Loan, extension_id: int) -> tuple[LoanExtension, LoanAddendum | None]:
        """One of the loan's extensions with its addendum (None when it was made before the agreement was signed);
        an extension of another loan is as unknown as one that does not exist."""
        row = (
            await self.session.execute(
                select(LoanExtension, LoanAddendum)
                .outerjoin(LoanAddendum, LoanAddendum.extension_id == LoanExtension.id)
                .where(LoanExtension.id == extension_id, LoanExtension.loan_id == loan.id)
            )
        ).first()
        if row is None:
            raise NotFound(f"Loan {loan.reference} has no extension with id {extension_id}.")
        return row[0], row[1]

    async def addendum(self, loan: Loan, extension_id: int) -> tuple[LoanExtension, LoanAddendum]:
        extension, addendum = await self.extension(loan, extension_id)
        if addendum is None:
            raise NotFound(
                f"Extension {extension_id} of loan {loan.reference} was made before the agreement was signed: the "
                "agreement shows the new due date, so there is no addendum to sign."
            )
        return extension, addendum

    async def accept_addendum(self, loan_id: int, extension_id: int, data: AcceptanceIn, actor: Actor) -> LoanAddendum:
        """The family signs the addendum for an extension: once, witnessed at the loan's centre as the agreement is.
        The row is locked first, so two desks signing at once cannot both sign it."""
        loan = await self.get(loan_id)
        extension, _ = await self.addendum(loan, extension_id)
        addendum = (
            await self.session.scalars(
                select(LoanAddendum).where(LoanAddendum.extension_id == extension.id).with_for_update()
            )
        ).one()
        if addendum.signed_at is not None:
            raise Conflict(f"The addendum for extension {extension.id} of loan {loan.reference} is already signed.")
        self._require_active(loan)
        witness = await self._witness(loan, data.witnessed_by_id or actor.id, actor)
        signed_at = _signed_at(data, extension.created_at, "the extension was made")
        image = await _signature_image(data)
        addendum.signer_name = data.signer_name
        addendum.relationship_to_family = data.relationship
        addendum.signed_at = signed_at
        addendum.witnessed_by_id = witness.id
        addendum.signature_png = image
        return addendum

    async def _witness(self, loan: Loan, witness_id: int, actor: Actor) -> User:
        """The desk user who saw the borrower sign, at the loan's centre.

        A named witness must be an active volunteer, staff member or admin whose home centre is the loan's centre.
        Witnessing what you record yourself (the default) is allowed at that centre too, and anywhere to a desk user
        without a home centre (staff and admins who work across centres); never at another centre than your own.
        """
        witness = await self.session.get(User, witness_id)
        if witness is None or not witness.is_active or not may(witness.role, "loans.witness"):
            raise Invalid.field("witnessed_by_id", "the witness must be an active volunteer, staff member or admin")
        at_centre = witness.home_centre_id == loan.centre_id
        roaming_self = witness.id == actor.id and witness.home_centre_id is None
        if not (at_centre or roaming_self):
            raise Invalid.field(
                "witnessed_by_id", f"the witness must be a desk user at the loan's centre (centre {loan.centre_id})"
            )
        return witness

    # --- SIM barring ---------------------------------------------------------------------------------------

    def _barring_query(self) -> Any:
        return (
            select(LoanItem, Asset, Loan)
            .join(Asset, Asset.id == LoanItem.asset_id)
            .join(Loan, Loan.id == LoanItem.loan_id)
            .where(LoanItem.sim_barring_required.is_(True))
        )

    async def sims_to_bar(self, params: ListParams | None = None) -> tuple[list[Barring], int]:
        """Lost or stolen SIMs not yet barred, the longest waiting first (every one when `params` is None)."""
        stmt = self._barring_query().order_by(
            *order_by(params.sort if params else None, TO_BAR_SORTABLE, "reported_at"), LoanItem.id
        )
        total = await self.session.scalar(
            select(func.count(LoanItem.id)).where(LoanItem.sim_barring_required.is_(True))
        )
        if params is not None:
            stmt = stmt.limit(params.limit).offset(params.offset)
        return [Barring(*row) for row in (await self.session.execute(stmt)).all()], int(total or 0)

    async def record_barring(self, tag: str, data: BarringIn) -> Barring:
        """Staff barred a lost or stolen SIM with its network: it leaves the list, with who, when and the reference."""
        asset = await self.inventory.get_asset(tag)
        row = (
            await self.session.execute(
                self._barring_query().where(LoanItem.asset_id == asset.id).with_for_update(of=LoanItem)
            )
        ).first()
        if row is None:
            raise Conflict(
                f"{asset.tag} does not need barring: only a SIM reported lost or stolen on a loan, and not "
                "yet barred, does."
            )
        barring = Barring(*row)
        barred_on = data.barred_on or date.today()
        if barred_on > date.today():
            raise Invalid.field("barred_on", "cannot be in the future")
        lent_on = barring.loan.issued_at.astimezone().date()
        if barred_on < lent_on:
            raise Invalid.field("barred_on", f"cannot be before the SIM was lent, on {lent_on.isoformat()}")
        actor_id, _ = actor_of(self.session)
        item = barring.item
        item.sim_barring_required = False
        item.barred_on, item.barring_reference, item.barred_by_id = barred_on, data.barring_reference, actor_id
        self.inventory.record_event(
            asset,
            AssetEventKind.barred,
            reason=f"barred with {asset.network}",
            details={"loan_id": barring.loan.id, "barred_on": barred_on, "barring_reference": data.barring_reference},
        )
        await self.session.flush()
        return barring


def _signed_at(data: AcceptanceIn, earliest: datetime, what: str) -> datetime:
    """When a signature was given: now unless said, read as UTC without a zone, never ahead of the clock, and not
    before `earliest` (`what` happened then) by more than a day (paper signed at the desk, recorded the next)."""
    signed_at = data.signed_at or datetime.now(UTC)
    if signed_at.tzinfo is None:
        signed_at = signed_at.replace(tzinfo=UTC)
    if signed_at > datetime.now(UTC) + timedelta(minutes=5):
        raise Invalid.field("signed_at", "cannot be in the future")
    if signed_at < earliest - timedelta(days=1):
        raise Invalid.field("signed_at", f"cannot be before {what}")
    return signed_at


async def _signature_image(data: AcceptanceIn) -> bytes | None:
    """The pad's PNG, decoded and proved a sane PNG (in a thread: inflating it takes a while) before it is kept."""
    if not data.signature_png:
        return None
    try:
        image = base64.b64decode(data.signature_png, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid.field("signature_png", "not valid base64") from None
    if len(image) > MAX_SIGNATURE_BYTES:
        raise Invalid.field("signature_png", f"larger than {MAX_SIGNATURE_BYTES // 1024} KB")
    try:
        await anyio.to_thread.run_sync(
            functools.partial(validators.png_image, image, max_side=MAX_SIGNATURE_SIDE, max_pixels=MAX_SIGNATURE_PIXELS)
        )
    except ValueError as exc:
        raise Invalid.field("signature_png", str(exc)) from None
    return image


async def loan_views(session: AsyncSession, loans: Sequence[Loan]) -> list[LoanView]:
    """Each loan with its items, extensions, addenda and acceptance, in four queries whatever the number of loans."""
    ids = [loan.id for loan in loans]
    if not ids:
        return []
    items: dict[int, list[tuple[LoanItem, Asset]]] = {i: [] for i in ids}
    for item, asset in (
        await session.execute(
            select(LoanItem, Asset)
            .join(Asset, Asset.id == LoanItem.asset_id)
            .where(LoanItem.loan_id.in_(ids))
            .order_by(LoanItem.id)
        )
    ).all():
        items[item.loan_id].append((item, asset))
    extensions: dict[int, list[LoanExtension]] = {i: [] for i in ids}
    for extension in await session.scalars(
        select(LoanExtension).where(LoanExtension.loan_id.in_(ids)).order_by(LoanExtension.id)
    ):
        extensions[extension.loan_id].append(extension)
    acceptances = {
        a.loan_id: a for a in await session.scalars(select(LoanAcceptance).where(LoanAcceptance.loan_id.in_(ids)))
    }
    addenda: dict[int, dict[int, LoanAddendum]] = {i: {} for i in ids}
    for addendum in await session.scalars(select(LoanAddendum).where(LoanAddendum.loan_id.in_(ids))):
        addenda[addendum.loan_id][addendum.extension_id] = addendum
    return [
        LoanView(loan, items[loan.id], extensions[loan.id], acceptances.get(loan.id), addenda[loan.id])
        for loan in loans
    ]


def addendum_record(addendum: LoanAddendum | None) -> dict[str, Any] | None:
    """An addendum as a family's subject-access export shows it."""
    if addendum is None:
        return None
    return {
        "status": addendum.status,
        "signer_name": addendum.signer_name,
        "relationship": addendum.relationship_to_family,
        "signed_at": addendum.signed_at.isoformat() if addendum.signed_at else None,
        "has_signature_image": addendum.signature_png is not None,
        "signed_pdf_sha256": addendum.signed_pdf_sha256,
        "signed_pdf_withdrawn_at": addendum.signed_pdf_withdrawn_at.isoformat()
        if addendum.signed_pdf_withdrawn_at
        else None,
    }


async def family_loans(session: AsyncSession, family: Family) -> dict[str, Any]:
    """The loans section of a family's subject-access export: everything the loans hold about it."""
    loans = list((await session.scalars(select(Loan).where(Loan.family_id == family.id).order_by(Loan.id))).all())
    out = []
    for view in await loan_views(session, loans):
        loan, acceptance = view.loan, view.acceptance
        out.append(
            {
                "reference": loan.reference,
                "status": loan.status,
                "issued_at": loan.issued_at.isoformat(),
                "due_on": loan.due_on.isoformat(),
                "closed_at": loan.closed_at.isoformat() if loan.closed_at else None,
                "notes": loan.notes,
                "gift_reason": loan.gift_reason,
                "items": [
                    {
                        "tag": a.tag,
                        "kind": a.kind,
                        "outcome": i.outcome,
                        "return_condition": i.return_condition,
                        "return_notes": i.return_notes,
                        "police_reference": i.police_reference,
                    }
                    for i, a in view.items
                ],
                "extensions": [
                    {
                        "previous_due_on": e.previous_due_on.isoformat(),
                        "due_on": e.due_on.isoformat(),
                        "reason": e.reason,
                        "addendum": addendum_record(view.addenda.get(e.id)),
                    }
                    for e in view.extensions
                ],
                "agreement": {
                    "signer_name": acceptance.signer_name,
                    "relationship": acceptance.relationship_to_family,
                    "signed_at": acceptance.signed_at.isoformat(),
                    "has_signature_image": acceptance.signature_png is not None,
                    "signed_pdf_sha256": acceptance.signed_pdf_sha256,
                    "signed_pdf_withdrawn_at": acceptance.signed_pdf_withdrawn_at.isoformat()
                    if acceptance.signed_pdf_withdrawn_at
                    else None,
                }
                if acceptance
                else None,
            }
        )
    return {"loans": out}


async def family_loan_entities(session: AsyncSession, family_id: int) -> dict[str, list[int]]:
    """The ids of every loan record about a family, by audit entity type."""
    loan_ids = list((await session.scalars(select(Loan.id).where(Loan.family_id == family_id))).all())
    if not loan_ids:
        return {}
    return {
        "loan": loan_ids,
        "loan_item": list((await session.scalars(select(LoanItem.id).where(LoanItem.loan_id.in_(loan_ids)))).all()),
        "loan_extension": list(
            (await session.scalars(select(LoanExtension.id).where(LoanExtension.loan_id.in_(loan_ids)))).all()
        ),
        "loan_acceptance": list(
            (await session.scalars(select(LoanAcceptance.id).where(LoanAcceptance.loan_id.in_(loan_ids)))).all()
        ),
        "loan_addendum": list(
            (await session.scalars(select(LoanAddendum.id).where(LoanAddendum.loan_id.in_(loan_ids)))).all()
        ),
    }


@dataclass
class ErasedLoans:
    values: set[str]  # the personal text that was held, so copies of it elsewhere can be found
    entities: dict[str, list[int]]  # the records touched, by audit entity type
    agreements_withdrawn: int = 0
    addenda_withdrawn: int = 0
    stored_answers_forgotten: int = 0


async def erase_family_loans(session: AsyncSession, family_id: int, now: datetime) -> ErasedLoans:
    """The loans' part of erasing a family: notes, return notes, extension reasons and gift reasons blanked; the
    signer's name and signature image removed, the agreement's and each addendum's; the signed PDFs withdrawn (their
    SHA-256 and the time each was withdrawn kept, so the record shows that a signed document existed); stored
    Idempotency-Key answers forgotten.

    The loans, their items and dates stay for reports. Police references stay: they are the charity's record of a
    crime report, not the family's details.
    """
    entities = await family_loan_entities(session, family_id)
    erased = ErasedLoans(set(), entities)
    if entities:
        for loan in await session.scalars(select(Loan).where(Loan.id.in_(entities["loan"]))):
            erased.values.update((loan.notes, loan.gift_reason or ""))
            loan.notes = ""
            if loan.gift_reason:
                loan.gift_reason = ""
        for item in await session.scalars(select(LoanItem).where(LoanItem.loan_id.in_(entities["loan"]))):
            if item.return_notes:
                erased.values.add(item.return_notes)
                item.return_notes = ""
        for extension in await session.scalars(
            select(LoanExtension).where(LoanExtension.loan_id.in_(entities["loan"]))
        ):
            erased.values.add(extension.reason)
            extension.reason = ""
        for acceptance in await session.scalars(
            select(LoanAcceptance).where(LoanAcceptance.loan_id.in_(entities["loan"]))
        ):
            erased.agreements_withdrawn += _withdraw_signed(acceptance, erased.values, now)
        for addendum in await session.scalars(select(LoanAddendum).where(LoanAddendum.loan_id.in_(entities["loan"]))):
            erased.addenda_withdrawn += _withdraw_signed(addendum, erased.values, now)
    erased.stored_answers_forgotten = await forget_family(session, family_id)
    return erased


def _withdraw_signed(signed: LoanAcceptance | LoanAddendum, values: set[str], now: datetime) -> int:
    """Erase a signed document's signer and signature, and withdraw its kept PDF (the hash stays). The signer's name
    and its words go into `values`, for scrubbing the copies elsewhere. 1 when a PDF was withdrawn."""
    if signed.signer_name:
        values.add(signed.signer_name)
        values.update(w for w in signed.signer_name.split() if len(w) >= 3)
        signed.signer_name = ""
    signed.signature_png = None
    if signed.signed_pdf is None:
        return 0
    signed.signed_pdf = None
    signed.signed_pdf_withdrawn_at = now
    return 1
