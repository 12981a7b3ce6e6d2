"""Schemathesis hooks for the contract run (loaded through SCHEMATHESIS_HOOKS=tests.contract.hooks).

Two kinds of generated request are left out, because they would test the harness rather than the API:
- resetting the password of, or demoting, the admin the run signs in as: that signs the run itself out and turns
  every later answer into a 401 (the same operations on every other user are sent);
- a CSV upload whose "body" is a generated object or number: any bytes are text, so a CSV body cannot have a
  wrong type, and the printed object would be judged as if the API had accepted an object.
"""

from __future__ import annotations

import os

import schemathesis
from schemathesis.core import NOT_SET

HARNESS_USER_ID = os.environ.get("LENDING_CONTRACT_ADMIN_ID", "")
_SELF_HARM = {("POST", "/api/v1/users/{user_id}/password"), ("PATCH", "/api/v1/users/{user_id}")}
_TEXT_BODIES = {("POST", "/api/v1/assets/import")}


@schemathesis.hook
def filter_case(context, case) -> bool:
    # `filter_case` is the hook every phase (coverage included) applies.
    key = (case.method.upper(), case.path)
    if key in _SELF_HARM and str((case.path_parameters or {}).get("user_id")) == HARNESS_USER_ID:
        return False
    return not (key in _TEXT_BODIES and case.body is not NOT_SET and not isinstance(case.body, (str, bytes)))


# The asset import takes a CSV file as its body: send the generated text as it is.
schemathesis.serializer.alias("text/csv", "text/plain")
