"""Password hashing with argon2 (argon2-cffi's recommended parameters), and the one password policy."""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import os
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from lending.config import PasswordHashProfile, get_settings

# "strong" is argon2-cffi's recommendation (RFC 9106's low-memory choice: 64 MiB, 3 passes). "fast" is the least
# argon2 allows, for test suites that create hundreds of users; it guards nothing. A hash records its own parameters,
# so either profile verifies passwords hashed under the other.
_HASHERS: dict[PasswordHashProfile, PasswordHasher] = {
    "strong": PasswordHasher(),
    "fast": PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
}
_profile: PasswordHashProfile | None = None


def use_hash_profile(profile: PasswordHashProfile | None) -> None:
    """Hash with `profile` in this process from now on; None: as the process's settings say (the default)."""
    global _profile
    _profile = profile
    _dummy_hash.cache_clear()


def _hasher() -> PasswordHasher:
    return _HASHERS[_profile or get_settings().password_hash_profile]


def _lower_priority() -> None:
    """argon2 releases the GIL and hashes on several lanes (threads) at once: on a small machine one sign-in can take
    every core for tens of milliseconds, and the event loop, which answers every other request, waits its turn with
    the kernel. At a lower priority (inherited by argon2's own lane threads) hashing takes only the time the loop
    leaves; a sign-in under load gets slower, a lookup does not."""
    # Not Linux, or not allowed: hash at the same priority.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)  # on Linux, per thread


# argon2 takes tens of milliseconds of CPU and 64 MiB per call: it runs in these threads, never on the event loop,
# and no more at once than there are cores (at most 8), so a burst of sign-ins cannot take every thread or gigabytes
# of memory.
_pool = ThreadPoolExecutor(
    max_workers=max(2, min(8, os.cpu_count() or 2)),
    thread_name_prefix="argon2",
    initializer=_lower_priority,
)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verified when the email is unknown so that both failures take the same time.
    return _hasher().hash(secrets.token_urlsafe(16))


MIN_LENGTH = 10
MAX_LENGTH = 1024  # what POST /auth/token accepts; a longer password could never be used

POLICY = (
    f"{MIN_LENGTH} to {MAX_LENGTH} characters, not built on the email address, not a common password or keyboard run"
)

# Too common to be a password whatever its length (top entries of public breach lists that are 10+ characters).
_COMMON = frozenset(
    {
        "1234567890",
        "0123456789",
        "0987654321",
        "12345678910",
        "123456789a",
        "a123456789",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "qwertyuiop",
        "qwerty1234",
        "qwerty123456",
        "password12",
        "password123",
        "password1234",
        "password!1",
        "passw0rd123",
        "p@ssw0rd123",
        "iloveyou12",
        "iloveyou123",
        "letmein123",
        "welcome123",
        "welcome1234",
        "changeme123",
        "administrator",
        "admin12345",
        "admin123456",
        "football123",
        "sunshine123",
        "abc1234567",
        "abcd123456",
        "lending123",
        "lending1234",
    }
)
# A password that is a stretch of one of these (either way round) is a keyboard or counting run.
_RUNS = (
    "01234567890",
    "abcdefghijklmnopqrstuvwxyz",
    "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn",
    "1q2w3e4r5t6y7u8i9o0p",
)
# Django's UserAttributeSimilarityValidator's threshold: at or above it the password is a variant of the email.
_SIMILARITY = 0.7


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """What is wrong with `password` under the policy, or None. Every password a person chooses passes here: at
    user creation (API or CLI), reset, change, or in LENDING_ADMIN_PASSWORD."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    folded = password.lower()
    if email:
        email = email.strip().lower()
        for attribute in {email, email.split("@")[0]}:
            # The address is known to anyone guessing: what is left without it must be a password on its own.
            if len(attribute) >= 3 and (
                len(folded.replace(attribute, "")) < MIN_LENGTH
                or difflib.SequenceMatcher(a=folded, b=attribute).quick_ratio() >= _SIMILARITY
            ):
                return "must not be built on the email address"
    if len(set(folded)) < 5:
        return "is too simple: use more different characters"
    if folded in _COMMON or any(folded in run or folded[::-1] in run for run in _RUNS):
        return "is too common; choose a less guessable one"
    return None


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def hash_password_off_loop(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_pool, hash_password, password)


async def verify_password_off_loop(password_hash: str | None, password: str) -> bool:
    return await asyncio.get_running_loop().run_in_executor(_pool, verify_password, password_hash, password)


def generate_password() -> str:
    return secrets.token_urlsafe(12)
