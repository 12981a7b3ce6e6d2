"""Loans: issue, sign, return, extend; lost, stolen, gifted."""

# Loans hold records about families; registering them here means no process can load loans without families
# knowing (erasure, subject access, merging and retention ask through the hook, never by importing loans).
from lending.loans import records as _records  # noqa: F401
