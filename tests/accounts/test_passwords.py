"""The argon2 parameters: strong unless a deployment (a test suite) asks for the cheap ones."""

from __future__ import annotations

import pytest

from lending.accounts.passwords import hash_password_off_loop, use_hash_profile, verify_password_off_loop
from lending.config import Settings


def test_the_strong_profile_is_the_default():
    assert Settings.model_fields["password_hash_profile"].default == "strong"


@pytest.mark.real_password_hashing
async def test_real_hashing_uses_argon2s_recommended_parameters_and_either_profile_verifies_the_other():
    strong = await hash_password_off_loop("a-long-enough-password")
    assert strong.startswith("$argon2id$v=19$m=65536,t=3,p=4$"), strong
    use_hash_profile("fast")
    fast = await hash_password_off_loop("a-long-enough-password")
    assert fast.startswith("$argon2id$v=19$m=8,t=1,p=1$"), fast
    # A hash carries its parameters: switching profile never locks anyone out.
    assert await verify_password_off_loop(strong, "a-long-enough-password")
    assert not await verify_password_off_loop(strong, "another-long-password")
    use_hash_profile("strong")
    assert await verify_password_off_loop(fast, "a-long-enough-password")
    assert not await verify_password_off_loop(fast, "another-long-password")
