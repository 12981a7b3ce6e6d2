"""What logs may show of an address, and the Message-ID a resend keeps: pure rules, no server."""

from __future__ import annotations

import pytest

from lending.messages.channels import message_id, redact


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("+447911123456", "07*** ***456"),
        ("07911 123456", "07*** ***456"),
        ("+48512345678", "+48 *** *** 678"),
        ("nasreen.begum@example.org", "n***@example.org"),
        ("@example.org", "***@example.org"),
        ("12345", "***"),
        ("", "***"),
    ],
)
def test_redact_keeps_enough_to_tell_two_apart_and_no_more(address, shown):
    assert redact(address) == shown


def test_a_message_id_is_the_reference_s_alone():
    sender = "Test Lending <loans@lending.example>"
    first = message_id("reminder:family-12:step-7:2030-01-01", sender)
    assert first == message_id("reminder:family-12:step-7:2030-01-01", sender)
    assert first.startswith("<reminder-family-12-step-7-2030-01-01.") and first.endswith("@lending.example>")
    # Two references that read alike once punctuation is gone still differ.
    assert message_id("a:b", sender) != message_id("a/b", sender)
