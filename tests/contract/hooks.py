"""Schemathesis hooks for the contract run (loaded through SCHEMATHESIS_HOOKS=tests.contract.hooks).

The run signs in as one admin. Resetting that admin's password, or demoting it, would sign the run itself out and
turn every later answer into a 401, so those two requests are the only ones left out; every other request,
including the same operations on any other user, is sent.
"""

from __future__ import annotations

import os

import schemathesis

HARNESS_USER_ID = os.environ.get("LENDING_CONTRACT_ADMIN_ID", "")
_SELF_HARM = {("POST", "/api/v1/users/{user_id}/password"), ("PATCH", "/api/v1/users/{user_id}")}


@schemathesis.hook
def filter_case(context, case) -> bool:
    if (case.method.upper(), case.path) not in _SELF_HARM:
        return True
    return str((case.path_parameters or {}).get("user_id")) != HARNESS_USER_ID


# The asset import takes a CSV file as its body: send the generated text as it is.
schemathesis.serializer.alias("text/csv", "text/plain")


@schemathesis.hook
def filter_body(context, body) -> bool:
    # Any bytes are text, so a CSV body cannot have a "wrong type"; a generated object or number would only be
    # sent as its printed form and be judged as if the API had accepted an object.
    if context.operation is not None and context.operation.path == "/api/v1/assets/import":
        return isinstance(body, str)
    return True
