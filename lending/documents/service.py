"""Documents from the data: label sheets for assets, and loan agreements (frozen once signed)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lending import i18n
from lending.accounts.models import User
from lending.centres.models import Centre
from lending.config import Settings
from lending.core.errors import FieldError, Gone, Invalid, NotFound
from lending.core.pagination import ListParams
from lending.documents.addendum import AddendumData, render_addendum, signed_on
from lending.documents.agreement import (
    AgreementData,
    AgreementItem,
    Organisation,
    Signature,
    agreement_texts,
    render_agreement,
)
from lending.documents.labels import Branding, LabelContent, calibration_pdf, describe, label_pdf
from lending.documents.layouts import Calibration, Layout
from lending.documents.models import LabelCalibration
from lending.documents.repositories import CalibrationRepository
from lending.documents.schemas import LabelRequest
from lending.families.models import Family, Nomination
from lending.inventory.models import Asset
from lending.inventory.repositories import AssetRepository
from lending.inventory.service import AssetService
from lending.inventory.tags import BadTag, normalise_tag
from lending.loans.models import Loan, LoanAcceptance, LoanAddendum, LoanExtension, LoanItem
from lending.schools.models import School

MAX_LABELS = 20_000
RENDERING = threading.Lock()


def label_of(asset: Asset) -> LabelContent:
    return LabelContent(asset.tag, describe(asset.kind, asset.make, asset.model, asset.network, asset.iccid))


@dataclass(frozen=True)
class LabelJob:
    layout: Layout
    labels: list[LabelContent]
    start_position: int
    copies: int

    @property
    def pages(self) -> int:
        slots = self.start_position - 1 + len(self.labels) * self.copies
        return -(-slots // self.layout.per_page)


class DocumentService:
    def __init__(self, session: AsyncSession, settings: Settings, layouts: dict[str, Layout]) -> None:
        self.session = session
        self.settings = settings
        self.layouts = layouts
        self.calibrations = CalibrationRepository(session=session)

    @property
    def brand(self) -> Branding:
        return Branding(self.settings.org_name, self.settings.org_phone, self.settings.public_url)

    @property
    def organisation(self) -> Organisation:
        s = self.settings
        return Organisation(s.org_name, s.org_phone, s.org_email, s.org_address, s.org_charity_number, s.org_logo)

    # --- labels --------------------------------------------------------------------------------------------

    def layout(self, layout_id: str, field: str = "layout") -> Layout:
        layout = self.layouts.get(layout_id)
        if layout is None:
            raise Invalid.field(field, f"unknown layout '{layout_id}'; choose from: {', '.join(sorted(self.layouts))}")
        return layout

    async def assets_by_tags(self, tags: Sequence[str]) -> list[Asset]:
        normal: list[str] = []
        errors: list[FieldError] = []
        for index, raw in enumerate(tags):
            try:
                normal.append(normalise_tag(raw))
            except BadTag as exc:
                errors.append(FieldError(f"tags[{index}]", str(exc)))
        found = await AssetRepository(session=self.session).by_tags(normal)
        errors += [FieldError(f"tags[{i}]", f"no asset tagged {t}") for i, t in enumerate(normal) if t not in found]
        if errors:
            raise Invalid.of(errors)
        return [found[t] for t in normal]

    async def label_job_for(self, data: LabelRequest, inventory: AssetService) -> LabelJob:
        """A label request (`POST /api/v1/labels`, or the desk's labels page) as a job: its layout with the
        centre's calibration, and its assets by tag or by the asset list's filters."""
        # An unknown layout or centre is named before any asset is looked up.
        layout = await self.layout_at(data.layout, data.centre_id)
        if data.tags is not None:
            assets = await self.assets_by_tags(data.tags)
        else:
            assert data.filter is not None
            assets = await inventory.all_assets(data.filter.filters())
        return self.label_job(assets, layout, data.start_position, data.copies)

    def label_job(self, assets: Sequence[Asset], layout: Layout, start_position: int, copies: int) -> LabelJob:
        if not 1 <= start_position <= layout.per_page:
            raise Invalid.field("start_position", f"between 1 and {layout.per_page} on {layout.name}")
        if not assets:
            raise Invalid.field("tags", "no assets to label")
        if len(assets) * copies > MAX_LABELS:
            raise Invalid.field("copies", f"at most {MAX_LABELS} labels in one document")
        return LabelJob(layout, [label_of(a) for a in assets], start_position, copies)

    def label_pdf(self, job: LabelJob) -> Iterator[bytes]:
        return label_pdf(job.labels, job.layout, self.brand, start_position=job.start_position, copies=job.copies)

    # --- calibration: each centre's printer, per layout ------------------------------------------------------

    async def centre(self, centre_id: int, field: str = "centre_id") -> Centre:
        centre = await self.session.get(Centre, centre_id)
        if centre is None:
            raise Invalid.field(field, f"no centre with id {centre_id}")
        return centre

    async def layout_at(self, layout_id: str, centre_id: int | None) -> Layout:
        """The layout as `centre_id`'s printer needs it: the centre's saved offsets, where it has saved some,
        replace the layout file's."""
        layout = self.layout(layout_id)
        if centre_id is None:
            return layout
        await self.centre(centre_id)
        saved = await self.calibrations.of(centre_id, layout.id)
        if saved is None:
            return layout
        return layout.model_copy(update={"calibration": Calibration(x_mm=saved.x_mm, y_mm=saved.y_mm)})

    async def list_calibrations(
        self, params: ListParams, *, centre_id: int | None
    ) -> tuple[list[LabelCalibration], int]:
        return await self.calibrations.page(params, centre_id=centre_id)

    async def calibrate(self, centre_id: int, layout_id: str, x_mm: float, y_mm: float) -> LabelCalibration:
        layout = self.layout(layout_id)
        await self.centre(centre_id)
        saved = await self.calibrations.of(centre_id, layout.id)
        if saved is None:
            return await self.calibrations.add(
                LabelCalibration(centre_id=centre_id, layout_id=layout.id, x_mm=x_mm, y_mm=y_mm)
            )
        saved.x_mm, saved.y_mm = x_mm, y_mm
        await self.session.flush()
        return saved

    async def calibration_sheet(self, layout_id: str, centre_id: int | None) -> tuple[Layout, Iterator[bytes]]:
        layout = await self.layout_at(layout_id, centre_id)
        where = ""
        if centre_id is not None:
            where = f" for {(await self.centre(centre_id)).name}"
        offsets = layout.calibration
        caption = [
            f"Calibration test sheet: {layout.name}{where}",
            f"Offsets x {offsets.x_mm:+.1f} mm (right), y {offsets.y_mm:+.1f} mm (down)",
            "Hold it to the light over a blank sheet: outlines should meet the labels, rulers' 0 the paper's edges.",
        ]
        return layout, calibration_pdf(layout, caption)

    # --- agreements ----------------------------------------------------------------------------------------

    async def agreement_data(self, loan: Loan) -> AgreementData:
        family = await self.session.get(Family, loan.family_id)
        centre = await self.session.get(Centre, loan.centre_id)
        assert family is not None and centre is not None
        school_name = ""
        if loan.nomination_id is not None:
            school_name = (
                await self.session.scalar(
                    select(School.name)
                    .join(Nomination, Nomination.school_id == School.id)
                    .where(Nomination.id == loan.nomination_id)
                )
                or ""
            )
        assets = (
            await self.session.scalars(
                select(Asset)
                .join(LoanItem, LoanItem.asset_id == Asset.id)
                .where(LoanItem.loan_id == loan.id)
                .order_by(LoanItem.id)
            )
        ).all()
        language = i18n.language(family.preferred_language).code
        items, accessories = [], []
        for asset in assets:
            if asset.kind == "accessory":
                accessories.append(f"{asset.model or i18n.gettext(language, 'Accessory')} ({asset.tag})")
                continue
            allowance = (
                i18n.gettext(language, "unlimited data")
                if asset.data_allowance_gb is None
                else i18n.gettext(language, "{gb} GB a month", gb=i18n.digits(str(asset.data_allowance_gb), language))
            )
            items.append(
                AgreementItem(
                    asset.tag,
                    asset.kind,
                    " ".join(x for x in (asset.make, asset.model) if x),
                    asset.serial_number or "",
                    asset.network or "",
                    asset.iccid or "",
                    allowance if asset.kind == "sim" else "",
                    asset.msisdn or "",
                    asset.expires_on,
                )
            )
            if asset.charger_included:
                accessories.append(i18n.gettext(language, "Charger for {tag}", tag=asset.tag))
        address = ", ".join(x for x in (family.address, family.postcode) if x)
        return AgreementData(
            reference=loan.reference,
            issued_on=loan.issued_at.date(),
            due_on=loan.due_on,
            centre_name=centre.name,
            centre_address=", ".join(x for x in (centre.address, centre.postcode) if x),
            family_name=family.lead_name,
            family_address=address,
            family_phone=family.phone or "",
            school_name=school_name,
            language=language,
            items=items,
            accessories=accessories,
        )

    async def render(self, loan: Loan, signature: Signature | None = None) -> bytes:
        data = await self.agreement_data(loan)
        settings, organisation = self.settings, self.organisation

        def render() -> bytes:
            texts = agreement_texts(data.language, settings.terms_dir)
            with RENDERING:
                return render_agreement(
                    data, organisation, texts=texts, signature=signature, fonts_dir=settings.fonts_dir
                )

        # Typesetting (and a large logo or signature image) takes milliseconds to seconds of CPU: in a worker
        # thread the desks' other requests are answered meanwhile. One render at a time: reportlab keeps global
        # font registries, and two cores gain nothing from more.
        return await anyio.to_thread.run_sync(render)

    async def agreement_pdf(self, loan_id: int) -> bytes:
        """The signed agreement exactly as frozen at acceptance; before that, the (deterministic) unsigned one."""
        loan = await self.session.get(Loan, loan_id)
        if loan is None:
            raise NotFound(f"No loan with id {loan_id}.")
        acceptance = (
            await self.session.scalars(select(LoanAcceptance).where(LoanAcceptance.loan_id == loan.id))
        ).one_or_none()
        if acceptance is not None and acceptance.signed_pdf_withdrawn_at is not None:
            raise Gone(
                f"The signed agreement for loan {loan.reference} was withdrawn on "
                f"{acceptance.signed_pdf_withdrawn_at:%Y-%m-%d}, when the family's personal data was erased. "
                f"A signed agreement existed; its SHA-256 was {acceptance.signed_pdf_sha256}.",
                signed_pdf_sha256=acceptance.signed_pdf_sha256,
                withdrawn_at=acceptance.signed_pdf_withdrawn_at.isoformat(),
            )
        if acceptance is not None and acceptance.signed_pdf is not None:
            return acceptance.signed_pdf
        return await self.render(loan)

    async def freeze_signed(self, acceptance: LoanAcceptance) -> str:
        """Render the signed agreement once and keep its bytes and SHA-256 with the acceptance."""
        loan = await self.session.get(Loan, acceptance.loan_id)
        witness = await self.session.get(User, acceptance.witnessed_by_id)
        assert loan is not None
        signature = Signature(
            acceptance.signer_name,
            acceptance.relationship_to_family,
            acceptance.signed_at,
            witness.name if witness else "",
            acceptance.signature_png,
        )
        pdf = await self.render(loan, signature)
        acceptance.signed_pdf = pdf
        acceptance.signed_pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        await self.session.flush()
        return acceptance.signed_pdf_sha256

    # --- addenda: the family signs a due date moved after the agreement was signed ----------------------------

    async def addendum_data(self, loan: Loan, extension: LoanExtension) -> AddendumData:
        family = await self.session.get(Family, loan.family_id)
        centre = await self.session.get(Centre, loan.centre_id)
        acceptance = (
            await self.session.scalars(select(LoanAcceptance).where(LoanAcceptance.loan_id == loan.id))
        ).one_or_none()
        # An addendum is only ever made for a loan whose agreement is signed (LoanService.extend).
        assert family is not None and centre is not None and acceptance is not None
        return AddendumData(
            reference=loan.reference,
            language=family.preferred_language or "en",
            family_name=family.lead_name,
            centre_name=centre.name,
            agreed_on=signed_on(acceptance.signed_at),
            previous_due_on=extension.previous_due_on,
            due_on=extension.due_on,
            reason=extension.reason,
        )

    async def render_addendum(self, data: AddendumData, signature: Signature | None = None) -> bytes:
        settings, organisation = self.settings, self.organisation

        def render() -> bytes:
            with RENDERING:
                return render_addendum(data, organisation, signature=signature, fonts_dir=settings.fonts_dir)

        # As the agreement: typesetting is CPU work for a worker thread, one render at a time.
        return await anyio.to_thread.run_sync(render)

    async def addendum_pdf(self, loan: Loan, extension: LoanExtension, addendum: LoanAddendum) -> bytes:
        """The signed addendum exactly as frozen at signing; before that, the (deterministic) unsigned one."""
        if addendum.signed_pdf_withdrawn_at is not None:
            raise Gone(
                f"The signed addendum for extension {extension.id} of loan {loan.reference} was withdrawn on "
                f"{addendum.signed_pdf_withdrawn_at:%Y-%m-%d}, when the family's personal data was erased. "
                f"A signed addendum existed; its SHA-256 was {addendum.signed_pdf_sha256}.",
                signed_pdf_sha256=addendum.signed_pdf_sha256,
                withdrawn_at=addendum.signed_pdf_withdrawn_at.isoformat(),
            )
        if addendum.signed_pdf is not None:
            return addendum.signed_pdf
        return await self.render_addendum(await self.addendum_data(loan, extension))

    async def freeze_addendum(self, addendum: LoanAddendum) -> str:
        """Render the signed addendum once and keep its bytes and SHA-256 with the signature."""
        loan = await self.session.get(Loan, addendum.loan_id)
        extension = await self.session.get(LoanExtension, addendum.extension_id)
        assert loan is not None and extension is not None
        assert addendum.signed_at is not None and addendum.witnessed_by_id is not None
        assert addendum.relationship_to_family is not None
        witness = await self.session.get(User, addendum.witnessed_by_id)
        signature = Signature(
            addendum.signer_name or "",
            addendum.relationship_to_family,
            addendum.signed_at,
            witness.name if witness else "",
            addendum.signature_png,
        )
        pdf = await self.render_addendum(await self.addendum_data(loan, extension), signature)
        addendum.signed_pdf = pdf
        addendum.signed_pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        await self.session.flush()
        return addendum.signed_pdf_sha256
