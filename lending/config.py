"""Settings: one class, read once from `LENDING_` environment variables (or a `.env` file)."""

from __future__ import annotations

import ipaddress
import re
import secrets
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_TAG_PREFIXES = {
    "laptop": "LAP",
    "chromebook": "CHR",
    "desktop": "DSK",
    "tablet": "TAB",
    "phone": "PHN",
    "hotspot": "HOT",
    "sim": "SIM",
    "accessory": "ACC",
}

PasswordHashProfile = Literal["strong", "fast"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LENDING_", env_file=".env", extra="ignore")

    database_url: str = Field(
        "sqlite+aiosqlite:///lending.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///file.db or postgresql+asyncpg://user@host/db",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Signs access tokens. Unset: a random key per process (tokens end with a restart).",
    )
    admin_email: str | None = Field(None, description="Email of the admin created on first start.")
    admin_password: SecretStr | None = Field(
        None, description="Password of that admin; unset: one is generated and printed once."
    )
    org_name: str = Field("Lending", description="The organisation's name, on labels and agreements.")
    org_phone: str = Field("", description="The organisation's phone, on labels and agreements.")
    org_email: str = Field("", description="The organisation's email, on agreements.")
    org_address: str = Field("", description="The organisation's postal address, on agreements.")
    org_charity_number: str = Field("", description="Registered charity number, on agreements.")
    org_logo: Path | None = Field(None, description="A PNG or JPEG logo for the top of agreements.")
    public_url: str | None = Field(
        None, description="Public address; when set, labels carry a QR code to {public_url}/a/{tag}."
    )
    labels_dir: Path | None = Field(None, description="Extra label layouts (*.toml); same names replace shipped ones.")
    default_roll_layout: str = Field("brother-dk-11209", description="Layout of GET /assets/{tag}/label.pdf.")
    fonts_dir: Path | None = Field(
        None, description="Noto fonts for Urdu/Arabic and Bengali agreements (default: the system's Noto folders)."
    )
    terms_dir: Path | None = Field(
        None, description="Agreement terms templates (terms.<language>.md) that replace the shipped ones."
    )
    token_ttl_minutes: int = Field(720, ge=1, le=60 * 24 * 30, description="Lifetime of an access token.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Logging level.")
    login_max_attempts: int = Field(
        10, ge=1, description="Failed sign-ins allowed per client address and email within the window."
    )
    login_window_seconds: int = Field(300, ge=1, description="The login rate-limit window.")
    login_max_accounts_per_address: int = Field(
        10,
        ge=1,
        description="Accounts with a failed sign-in from one address within the window before that "
        "address must wait (password spraying).",
    )
    login_account_free_failures: int = Field(
        5,
        ge=1,
        description="Failed sign-ins on one account (from devices that have not signed in to it) before "
        "each further attempt must wait, twice as long each time.",
    )
    login_account_max_delay_seconds: int = Field(
        900,
        ge=1,
        le=24 * 3600,
        description="The longest of those waits: the owner can always try again after it.",
    )
    password_hash_profile: PasswordHashProfile = Field(
        "strong",
        description="argon2 parameters for new password hashes: strong (64 MiB, 3 passes), or fast, which guards "
        "nothing and is for test suites only.",
    )
    trusted_proxies: Annotated[list[ipaddress.IPv4Network | ipaddress.IPv6Network], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed; empty: those headers are ignored.",
    )
    db_pool_size: int = Field(10, ge=1, description="PostgreSQL connection pool size.")
    db_connect_timeout_seconds: float = Field(
        5, gt=0, le=300, description="Give up connecting to PostgreSQL after this long (the answer is then 503)."
    )
    db_statement_timeout_seconds: float = Field(
        30,
        ge=1,
        le=3600,
        description="Longest a statement may run (PostgreSQL) or wait for its turn to write (SQLite) before the "
        "request is answered 503.",
    )
    sqlite_mmap_mb: int = Field(
        256,
        ge=0,
        le=65536,
        description="SQLite reads the database file through a memory map of up to this many MiB (0: plain reads). "
        "Reports over a large database read many pages; through the map they come from the operating system's "
        "cache without a system call each.",
    )
    body_timeout_seconds: float = Field(
        60, gt=0, le=3600, description="A request body must arrive whole within this long, or the answer is 408."
    )
    idle_timeout_seconds: int = Field(
        5, ge=1, le=3600, description="An idle keep-alive connection is closed after this long (`lending serve`)."
    )
    tag_prefixes: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_TAG_PREFIXES),
        description="Asset tag prefix per kind, as JSON; kinds left out keep their default.",
    )

    priority_weights: dict[str, int] = Field(
        default_factory=dict,
        description='Priority weight overrides as JSON, e.g. {"free_school_meals": 4}; factors left out keep their '
        "default (lending.families.priority), checked when the app starts.",
    )

    session_hours: float = Field(
        12, gt=0, le=24 * 30, description="A browser stays signed in to the pages this long (a desk shift)."
    )
    cookie_secure: bool = Field(
        True,
        description="Send the sign-in cookie over HTTPS only. Browsers treat http://localhost as secure; turn this "
        "off only to serve pages over plain HTTP on a network you trust.",
    )

    loan_days: int = Field(365, ge=1, le=3660, description="Default loan length in days.")

    # Messages to families and staff (lending.messages). Nothing leaves until a charity configures a channel.
    smtp_url: SecretStr | None = Field(
        None,
        description="Mail server: smtp://user:pass@host:port (STARTTLS when offered), smtps://… for implicit TLS. "
        "Unset: emails are written to the log (address masked) and marked logged, not sent.",
    )
    mail_from: str = Field("", description="The From address of every email, e.g. Lending <loans@example.org>.")
    smtp_timeout_seconds: float = Field(30, gt=0, le=600, description="How long one SMTP conversation may take.")
    sms_provider: Literal["log", "notify"] = Field(
        "log", description="log: texts are written to the log (numbers masked), not sent; notify: GOV.UK Notify."
    )
    notify_api_key: SecretStr | None = Field(None, description="GOV.UK Notify API key (sms_provider=notify).")
    notify_base_url: str = Field("https://api.notifications.service.gov.uk", description="GOV.UK Notify's API address.")
    notify_sms_template_id: str | None = Field(
        None, description="The Notify text template whose only field, ((body)), carries our message."
    )
    notify_sms_sender_id: str | None = Field(None, description="Notify's sender id for texts (optional).")
    messages_dir: Path | None = Field(
        None, description="Extra message templates (<name>.<language>.md); same names replace shipped ones."
    )
    reminder_days: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [-7, -1, 0, 7, 14, 28],
        description="The reminder ladder: days from the due date (negative: before it), comma-separated.",
    )
    sim_expiry_reminder_days: int = Field(
        14, ge=1, le=90, description="Remind a family this many days before a SIM ends."
    )
    quiet_hours_start: time = Field(time(20, 0), description="No texts from this time (Europe/London)…")
    quiet_hours_end: time = Field(time(8, 0), description="…until this time.")
    reminders_in_process: bool = Field(
        True, description="lending serve runs the day's reminders itself (one run a day, claimed in the database)."
    )
    reminders_at: time = Field(time(9, 0), description="When the in-process run starts each day (Europe/London).")
    digest_to: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Who gets the staff digest, comma-separated; empty: every active staff and admin user.",
    )
    message_max_attempts: int = Field(8, ge=1, le=50, description="Sending attempts before a message is failed.")

    @field_validator("tag_prefixes")
    @classmethod
    def _prefixes(cls, value: dict[str, str]) -> dict[str, str]:
        merged = {**DEFAULT_TAG_PREFIXES, **{k.lower(): v.upper() for k, v in value.items()}}
        unknown = set(merged) - set(DEFAULT_TAG_PREFIXES)
        if unknown:
            raise ValueError(f"unknown asset kinds: {', '.join(sorted(unknown))}")
        bad = [p for p in merged.values() if not re.fullmatch(r"[A-Z]{2,5}", p)]
        if bad:
            raise ValueError(f"a prefix is 2 to 5 letters: {', '.join(bad)}")
        if len(set(merged.values())) != len(merged):
            raise ValueError("two kinds share a prefix")
        return merged

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            try:
                return [ipaddress.ip_network(str(v), strict=False) for v in value]
            except ValueError as exc:
                raise ValueError(f"not an IP address or network: {exc}") from None
        return value

    @field_validator("reminder_days", "digest_to", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def token_secret(self) -> str:
        if self.secret_key is None:
            # Generated once per Settings object so every token of this process verifies.
            self.secret_key = SecretStr(secrets.token_urlsafe(48))
        assert self.secret_key is not None
        return self.secret_key.get_secret_value()


@lru_cache
def get_settings() -> Settings:
    return Settings()
