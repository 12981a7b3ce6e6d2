"""Messages: what to say to whom, written to the outbox in the transaction of the event that caused it.

- The day's run (`remind`): claims the day, asks the ladder who is due what, queues one message per family and
  channel naming every item, and the staff digest; one transaction, so a run either happened whole or not at all.
- An extension: LoanService.extend tells lending.loans.events, and the family's notice is queued with it.
- Reading: the outbox for staff, filtered and paged, from what the actor may read.

Sending is lending.messages.outbox's business, after commit.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import phonenumbers
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import Select, false, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lending import i18n
from lending.access import Actor
from lending.accounts.models import Role, User
from lending.centres.models import Centre
from lending.config import Settings
from lending.core.pagination import ListParams, list_page
from lending.families.models import Family
from lending.inventory.models import Asset
from lending.loans.models import Loan, LoanExtension, LoanItem
from lending.messages import ladder
from lending.messages.digest import write_digest
from lending.messages.ladder import DueItem, FamilyDue
from lending.messages.models import Audience, Channel, Kind, Message, MessageStatus, ReminderRun
from lending.messages.quiet import first_attempt, london_today

log = logging.getLogger("lending.messages")

TEMPLATES = Path(__file__).resolve().parent / "templates"
MESSAGE_SORTABLE = {"created_at": Message.created_at, "status": Message.status, "sent_at": Message.sent_at}


class _Keep(dict[str, str]):
    """Placeholders a charity's template names that we do not fill stay as written, rather than failing the run."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class Composed:
    subject: str
    body: str
    language: str  # the language the text is in (English when the family's has no such template)


def compose(
    name: str,
    channel: Channel,
    language: str,
    lines: Callable[[str], list[str]],
    centre_name: str,
    settings: Settings,
) -> Composed:
    """A message from its template in the family's language: `lines(language)` gives the item lines.

    The lines are written in the language the template was found in, so a message is never half English. A draft
    translation is sent with the reviewed English after it by email; a text has no room for both, so it is the
    English one alone until the translation is reviewed.
    """
    template_name = name if channel is Channel.email else f"{name}.sms"
    template = i18n.load_template(TEMPLATES, template_name, language, settings.messages_dir)

    def render(found: i18n.Template) -> tuple[str, str]:
        joined = "\n".join(lines(found.language)) if channel is Channel.email else " ".join(lines(found.language))
        values = _Keep(
            org_name=settings.org_name,
            org_phone=i18n.format_phone(settings.org_phone, found.language) if settings.org_phone else "",
            centre_name=centre_name,
            items=joined,
        )
        try:
            body = found.body.format_map(values)
            subject = str(found.meta.get("subject") or "").format_map(values)
        except (ValueError, IndexError) as exc:
            raise i18n.TemplateError(f"{found.name}.{found.language}.md cannot be filled in: {exc}") from None
        return subject, body.strip()

    subject, body = render(template)
    if template.is_draft and template.language != i18n.DEFAULT:
        english = i18n.load_template(TEMPLATES, template_name, i18n.DEFAULT, settings.messages_dir)
        english_subject, english_body = render(english)
        if channel is Channel.sms:
            return Composed(english_subject, english_body, i18n.DEFAULT)
        return Composed(subject or english_subject, f"{body}\n\n---\n\n{english_body}", template.language)
    return Composed(subject, body, template.language)


def is_mobile(number: str) -> bool:
    try:
        parsed = phonenumbers.parse(number, "GB")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(parsed) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def addresses(family: Family) -> dict[Channel, str]:
    """Every channel the family accepts: its email unless it opted out, its mobile unless it opted out of texts.

    Both when it has both: a reminder is about the charity's devices coming back, and a family reads one and not
    the other (a shared email, a phone on a prepaid plan); a family that wants one channel opts out of the other.
    A landline is not texted.
    """
    out: dict[Channel, str] = {}
    if family.email and not family.email_opt_out:
        out[Channel.email] = family.email
    if family.phone and not family.sms_opt_out and is_mobile(family.phone):
        out[Channel.sms] = family.phone
    return out


def reminder_key(as_of: date, family_id: int, channel: Channel) -> str:
    return f"reminder:{as_of.isoformat()}:family-{family_id}:{channel.value}"


def extension_key(extension_id: int, channel: Channel) -> str:
    return f"extension:{extension_id}:{channel.value}"


def digest_key(as_of: date, address: str) -> str:
    # The recipient by a hash: the key travels to the provider as the message's reference, the address need not.
    return f"digest:{as_of.isoformat()}:{hashlib.sha256(address.lower().encode()).hexdigest()[:16]}"


@dataclass
class RunOutcome:
    """What a day's run did (or that another had already done it)."""

    as_of: date
    claimed: bool
    claimed_by: str = ""
    claimed_at: datetime | None = None
    families: int = 0
    queued: Counter[str] = field(default_factory=Counter)  # by channel
    digests: int = 0

    @property
    def total(self) -> int:
        return sum(self.queued.values()) + self.digests


class MessageRepository(SQLAlchemyAsyncRepository[Message]):
    model_type = Message

    @staticmethod
    def readable_by(actor: Actor) -> list[Any]:
        """The outbox is staff business: staff and admins read every message, anyone else none."""
        return [] if actor.may("messages.read") else [false()]

    def get_readable_statement(self, actor: Actor) -> Select[tuple[Message]]:
        return select(Message).where(*self.readable_by(actor))


@dataclass
class MessageFilters:
    family_id: int | None = None
    statuses: Sequence[MessageStatus] = ()
    channels: Sequence[Channel] = ()
    kinds: Sequence[Kind] = ()


class MessageService:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.repo = MessageRepository(session=session)

    # --- queuing ---------------------------------------------------------------------------------------------

    async def _queue(
        self,
        *,
        key: str,
        family_id: int | None,
        audience: Audience,
        channel: Channel,
        kind: Kind,
        steps: list[dict[str, Any]],
        as_of: date,
        to: str,
        composed: Composed,
        now: datetime,
    ) -> Message | None:
        """One message into the outbox, unless its key is there already (then None: it was queued before)."""
        if await self.session.scalar(select(Message.id).where(Message.idempotency_key == key)) is not None:
            return None
        message = Message(
            family_id=family_id,
            audience=audience,
            channel=channel,
            kind=kind,
            steps=steps,
            as_of=as_of,
            to_address=to,
            language=composed.language,
            subject=composed.subject,
            body=composed.body,
            idempotency_key=key,
            status=MessageStatus.queued,
            attempts=0,
            next_attempt_at=first_attempt(channel, now, self.settings),
        )
        self.session.add(message)
        return message

    async def queue_family(
        self, due: FamilyDue, kind: Kind, key: Callable[[Channel], str], as_of: date, now: datetime
    ) -> list[Message]:
        family = due.family
        queued = []
        for channel, to in addresses(family).items():
            composed = compose(
                kind.value, channel, family.preferred_language, due.lines, ", ".join(due.centres), self.settings
            )
            message = await self._queue(
                key=key(channel),
                family_id=family.id,
                audience=Audience.family,
                channel=channel,
                kind=kind,
                steps=[item.record() for item in due.items],
                as_of=as_of,
                to=to,
                composed=composed,
                now=now,
            )
            if message is not None:
                queued.append(message)
        return queued

    async def queue_reminders(self, as_of: date, now: datetime, outcome: RunOutcome) -> None:
        everyone = await ladder.due(
            self.session, as_of, self.settings.reminder_days, self.settings.sim_expiry_reminder_days
        )
        for due in everyone:
            queued = await self.queue_family(
                due, Kind.reminder, functools.partial(reminder_key, as_of, due.family.id), as_of, now
            )
            if queued:
                outcome.families += 1
            outcome.queued.update(m.channel.value for m in queued)

    async def digest_recipients(self) -> list[str]:
        if self.settings.digest_to:
            return list(dict.fromkeys(a.strip().lower() for a in self.settings.digest_to if a.strip()))
        return list(
            (
                await self.session.scalars(
                    select(User.email)
                    .where(User.role.in_([Role.admin, Role.staff]), User.is_active.is_(True))
                    .order_by(User.id)
                )
            ).all()
        )

    async def queue_digest(self, as_of: date, now: datetime, outcome: RunOutcome) -> None:
        recipients = await self.digest_recipients()
        if not recipients:
            return
        subject, body, figures = await write_digest(self.session, self.settings, as_of)
        for address in recipients:
            message = await self._queue(
                key=digest_key(as_of, address),
                family_id=None,
                audience=Audience.staff,
                channel=Channel.email,
                kind=Kind.digest,
                steps=[figures],
                as_of=as_of,
                to=address,
                composed=Composed(subject, body, i18n.DEFAULT),
                now=now,
            )
            if message is not None:
                outcome.digests += 1

    async def queue_extension(self, loan: Loan, extension: LoanExtension) -> list[Message]:
        """The family's notice of its loan's new due date, naming each item still out."""
        rows = await self.session.execute(
            select(Asset.tag, Asset.kind)
            .join(LoanItem, LoanItem.asset_id == Asset.id)
            .where(LoanItem.loan_id == loan.id, LoanItem.ended_at.is_(None))
            .order_by(Asset.tag)
        )
        items = [
            (loan.family_id, DueItem(loan.id, loan.centre_id, tag, kind, "extended", extension.due_on))
            for tag, kind in rows.all()
        ]
        grouped = await ladder.group(self.session, items)
        if not grouped:
            return []
        now = datetime.now(UTC)
        return await self.queue_family(
            grouped[0], Kind.extension, lambda channel: extension_key(extension.id, channel), london_today(now), now
        )

    # --- reading ---------------------------------------------------------------------------------------------

    async def list_messages(
        self, actor: Actor, params: ListParams, filters: MessageFilters
    ) -> tuple[list[Message], int]:
        where: list[Any] = []
        if filters.family_id is not None:
            where.append(Message.family_id == filters.family_id)
        if filters.statuses:
            where.append(Message.status.in_(filters.statuses))
        if filters.channels:
            where.append(Message.channel.in_(filters.channels))
        if filters.kinds:
            where.append(Message.kind.in_(filters.kinds))
        return await list_page(
            self.repo,
            params,
            *where,
            sortable=MESSAGE_SORTABLE,
            default_sort="-created_at",
            statement=self.repo.get_readable_statement(actor),
        )

    async def centres(self) -> dict[int, str]:
        return dict((await self.session.execute(select(Centre.id, Centre.name))).tuples().all())


async def remind(session: AsyncSession, settings: Settings, as_of: date, claimed_by: str) -> RunOutcome:
    """The day's run: claim `as_of`, queue every family's reminders and the staff digest. The caller commits.

    The claim is a row with the day unique: the first run to insert it wins; a second run the same day, from this
    process or another worker, finds it (or, racing, fails to insert it) and queues nothing. Inserted in the
    transaction that queues, so a run that fails leaves the day unclaimed for the next attempt.
    """
    existing = (await session.scalars(select(ReminderRun).where(ReminderRun.run_on == as_of))).one_or_none()
    if existing is not None:
        return RunOutcome(as_of, claimed=False, claimed_by=existing.claimed_by, claimed_at=existing.claimed_at)
    now = datetime.now(UTC)
    run = ReminderRun(run_on=as_of, claimed_at=now, claimed_by=claimed_by, families=0, queued=0)
    try:
        async with session.begin_nested():
            session.add(run)
    except IntegrityError:
        raced = (await session.scalars(select(ReminderRun).where(ReminderRun.run_on == as_of))).one_or_none()
        return RunOutcome(
            as_of,
            claimed=False,
            claimed_by=raced.claimed_by if raced else "another run",
            claimed_at=raced.claimed_at if raced else None,
        )
    outcome = RunOutcome(as_of, claimed=True, claimed_by=claimed_by, claimed_at=now)
    service = MessageService(session, settings)
    await service.queue_reminders(as_of, now, outcome)
    await service.queue_digest(as_of, now, outcome)
    run.families, run.queued = outcome.families, outcome.total
    await session.flush()
    return outcome
