"""Every route × every role against the README's roles table: a new route without a policy decision fails here.

EXPECTED mirrors the README's "Roles" section, written out by hand on purpose: the policy (lending/access.py) is
read off each route handler's guards and must give the same answer, and the app must answer the same over HTTP.
"""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from lending.access import ACTIONS, actions_of, is_public
from lending.accounts.models import Role

ADMIN, STAFF, VOLUNTEER, SCHOOL = "admin", "staff", "volunteer", "school"
ANONYMOUS = "anonymous"
EVERYONE_SIGNED_IN = {ADMIN, STAFF, VOLUNTEER, SCHOOL}
DESK = {ADMIN, STAFF, VOLUNTEER}
STAFF_ONLY = {ADMIN, STAFF}
STAFF_AND_SCHOOLS = {ADMIN, STAFF, SCHOOL}
PUBLIC = "public"

# (method, path) → the roles that may call it, or PUBLIC (anyone, signed in or not).
EXPECTED: dict[tuple[str, str], set[str] | str] = {
    ("GET", "/health"): PUBLIC,
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("GET", "/schema"): PUBLIC,
    ("GET", "/schema/swagger"): PUBLIC,
    ("GET", "/schema/openapi.json"): PUBLIC,
    ("GET", "/schema/oauth2-redirect.html"): PUBLIC,
    ("GET", "/schema/{path}"): PUBLIC,
    # Anyone signed in: themselves.
    ("GET", "/api/v1/me"): EVERYONE_SIGNED_IN,
    ("POST", "/api/v1/me/password"): EVERYONE_SIGNED_IN,
    # admin: users and the audit trail.
    ("GET", "/api/v1/users"): {ADMIN},
    ("POST", "/api/v1/users"): {ADMIN},
    ("GET", "/api/v1/users/{user_id}"): {ADMIN},
    ("PATCH", "/api/v1/users/{user_id}"): {ADMIN},
    ("POST", "/api/v1/users/{user_id}/password"): {ADMIN},
    ("GET", "/api/v1/audit"): {ADMIN},
    # Centres and schools: everyone reads (a school only its own), staff keep them.
    ("GET", "/api/v1/centres"): EVERYONE_SIGNED_IN,
    ("GET", "/api/v1/centres/{centre_id}"): EVERYONE_SIGNED_IN,
    ("POST", "/api/v1/centres"): STAFF_ONLY,
    ("PATCH", "/api/v1/centres/{centre_id}"): STAFF_ONLY,
    ("GET", "/api/v1/schools"): EVERYONE_SIGNED_IN,
    ("GET", "/api/v1/schools/{school_id}"): EVERYONE_SIGNED_IN,
    ("POST", "/api/v1/schools"): STAFF_ONLY,
    ("PATCH", "/api/v1/schools/{school_id}"): STAFF_ONLY,
    # Inventory: staff; the desk looks assets up, moves them, exports the CSV and prints labels; schools never.
    ("GET", "/api/v1/donors"): STAFF_ONLY,
    ("POST", "/api/v1/donors"): STAFF_ONLY,
    ("GET", "/api/v1/donors/{donor_id}"): STAFF_ONLY,
    ("PATCH", "/api/v1/donors/{donor_id}"): STAFF_ONLY,
    # The report PDFs (lending/reports/pdf_routes.py): evidence for donors and funders is staff business.
    ("GET", "/api/v1/donors/{donor_id}/impact.pdf"): STAFF_ONLY,
    ("GET", "/api/v1/reports/funder.pdf"): STAFF_ONLY,
    ("GET", "/api/v1/donations"): STAFF_ONLY,
    ("POST", "/api/v1/donations"): STAFF_ONLY,
    ("GET", "/api/v1/donations/{donation_id}"): STAFF_ONLY,
    ("GET", "/api/v1/assets"): DESK,
    ("GET", "/api/v1/assets/{tag}"): DESK,
    ("GET", "/api/v1/assets/{tag}/history"): DESK,
    ("POST", "/api/v1/assets/{tag}/move"): DESK,
    ("GET", "/api/v1/assets.csv"): DESK,
    ("PATCH", "/api/v1/assets/{tag}"): STAFF_ONLY,
    ("POST", "/api/v1/assets/{tag}/transitions"): STAFF_ONLY,
    ("POST", "/api/v1/assets/transitions"): STAFF_ONLY,
    ("POST", "/api/v1/assets/{tag}/wipes"): STAFF_ONLY,
    ("POST", "/api/v1/assets/import"): STAFF_ONLY,
    ("GET", "/api/v1/assets/{tag}/label.svg"): DESK,
    ("GET", "/api/v1/assets/{tag}/label.png"): DESK,
    ("GET", "/api/v1/assets/{tag}/label.pdf"): DESK,
    ("GET", "/api/v1/labels/layouts"): DESK,
    ("POST", "/api/v1/labels"): DESK,
    ("GET", "/api/v1/labels/calibrations"): DESK,
    ("PUT", "/api/v1/labels/calibrations/{centre_id}/{layout}"): DESK,
    ("GET", "/api/v1/labels/layouts/{layout}/calibration.pdf"): DESK,
    # Stocktakes: the desk counts shelves (volunteers included); schools never.
    ("POST", "/api/v1/stocktakes"): DESK,
    ("GET", "/api/v1/stocktakes"): DESK,
    ("GET", "/api/v1/stocktakes/{stocktake_id}"): DESK,
    ("POST", "/api/v1/stocktakes/{stocktake_id}/scans"): DESK,
    ("POST", "/api/v1/stocktakes/{stocktake_id}/finish"): DESK,
    # Families: the desk finds them; schools add them by nominating and update their own; staff decide.
    ("GET", "/api/v1/families"): EVERYONE_SIGNED_IN,
    ("GET", "/api/v1/families/{family_id}"): EVERYONE_SIGNED_IN,
    ("POST", "/api/v1/families"): STAFF_ONLY,
    ("PATCH", "/api/v1/families/{family_id}"): STAFF_AND_SCHOOLS,
    ("GET", "/api/v1/families/possible-duplicates"): STAFF_ONLY,
    ("POST", "/api/v1/families/possible-duplicates/{duplicate_id}/merge"): STAFF_ONLY,
    ("POST", "/api/v1/families/possible-duplicates/{duplicate_id}/keep-apart"): STAFF_ONLY,
    ("GET", "/api/v1/families/{family_id}/export"): {ADMIN},
    ("POST", "/api/v1/families/{family_id}/erase"): {ADMIN},
    ("POST", "/api/v1/nominations"): STAFF_AND_SCHOOLS,
    ("GET", "/api/v1/nominations"): STAFF_AND_SCHOOLS,
    ("GET", "/api/v1/nominations/{nomination_id}"): STAFF_AND_SCHOOLS,
    ("POST", "/api/v1/nominations/{nomination_id}/withdraw"): STAFF_AND_SCHOOLS,
    ("POST", "/api/v1/nominations/{nomination_id}/decision"): STAFF_ONLY,
    # The desk finds the approved nomination it lends against: never the reason, evidence or scores.
    ("GET", "/api/v1/nominations/for-desk"): DESK,
    # Loans: the desk lends and takes back; gifts and SIM barring are staff business.
    ("POST", "/api/v1/loans"): DESK,
    ("GET", "/api/v1/loans"): DESK,
    ("GET", "/api/v1/loans.csv"): DESK,
    ("GET", "/api/v1/loans/{loan_id}"): DESK,
    ("GET", "/api/v1/loans/by-tag/{tag}"): DESK,
    ("POST", "/api/v1/loans/{loan_id}/acceptance"): DESK,
    ("GET", "/api/v1/loans/{loan_id}/agreement.pdf"): DESK,
    ("GET", "/api/v1/loans/{loan_id}/extensions/{extension_id}/addendum.pdf"): DESK,
    ("POST", "/api/v1/loans/{loan_id}/extensions/{extension_id}/acceptance"): DESK,
    ("POST", "/api/v1/loans/{loan_id}/returns"): DESK,
    ("POST", "/api/v1/loans/{loan_id}/extension"): DESK,
    ("POST", "/api/v1/loans/{loan_id}/items/{tag}/outcome"): DESK,
    ("POST", "/api/v1/loans/{loan_id}/gift"): STAFF_ONLY,
    ("GET", "/api/v1/sims/to-bar"): STAFF_ONLY,
    ("GET", "/api/v1/sims/to-bar.csv"): STAFF_ONLY,
    # The outbox: staff read what was sent to whom, with its status.
    ("GET", "/api/v1/messages"): STAFF_ONLY,
    ("POST", "/api/v1/sims/{tag}/barred"): STAFF_ONLY,
    # Reports: counted, never a family's details. The desk sees the summary; a school its own school's loans.
    ("GET", "/api/v1/reports/summary"): DESK,
    ("GET", "/api/v1/reports/summary.csv"): DESK,
    ("GET", "/api/v1/reports/loans"): STAFF_AND_SCHOOLS,
    ("GET", "/api/v1/reports/loans.csv"): STAFF_AND_SCHOOLS,
    ("GET", "/api/v1/reports/pipeline"): STAFF_ONLY,
    ("GET", "/api/v1/reports/pipeline.csv"): STAFF_ONLY,
    ("GET", "/api/v1/reports/donations"): STAFF_ONLY,
    ("GET", "/api/v1/reports/donations.csv"): STAFF_ONLY,
    # Pages (lending/web): signed in by cookie; the same policy, shown as pages (tests/web/test_pages_policy.py).
    ("GET", "/"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/a/{tag}"): PUBLIC,
    ("GET", "/static/{file_path}"): PUBLIC,
    ("GET", "/desk"): DESK,
    ("GET", "/desk/loans/new"): DESK,
    ("POST", "/desk/loans/new"): DESK,
    ("GET", "/desk/loans/{loan_id}"): DESK,
    ("POST", "/desk/loans/{loan_id}/signature"): DESK,
    ("GET", "/desk/loans/{loan_id}/agreement.pdf"): DESK,
    ("GET", "/desk/loans/{loan_id}/extensions/{extension_id}/addendum"): DESK,
    ("POST", "/desk/loans/{loan_id}/extensions/{extension_id}/addendum/signature"): DESK,
    ("GET", "/desk/loans/{loan_id}/extensions/{extension_id}/addendum.pdf"): DESK,
    ("GET", "/desk/assets/{tag}"): DESK,
    ("POST", "/desk/assets/{tag}/move"): DESK,
    ("GET", "/desk/returns"): DESK,
    ("POST", "/desk/returns"): DESK,
    ("GET", "/school"): {SCHOOL},
    ("GET", "/school/nominations/new"): {SCHOOL},
    ("POST", "/school/nominations"): {SCHOOL},
    ("GET", "/school/nominations/{nomination_id}"): {SCHOOL},
    ("GET", "/school/nominations/{nomination_id}/withdraw"): {SCHOOL},
    ("POST", "/school/nominations/{nomination_id}/withdraw"): {SCHOOL},
    ("GET", "/school/families/{family_id}"): {SCHOOL},
    ("POST", "/school/families/{family_id}"): {SCHOOL},
    ("GET", "/staff"): STAFF_ONLY,
    ("GET", "/desk/stocktake"): DESK,
    ("POST", "/desk/stocktake"): DESK,
    ("GET", "/desk/stocktake/{stocktake_id}"): DESK,
    ("POST", "/desk/stocktake/{stocktake_id}/scans"): DESK,
    ("POST", "/desk/stocktake/{stocktake_id}/move"): DESK,
    ("POST", "/desk/stocktake/{stocktake_id}/finish"): DESK,
    ("GET", "/desk/labels"): DESK,
    ("POST", "/desk/labels"): DESK,
    ("GET", "/desk/labels/calibration"): DESK,
    ("POST", "/desk/labels/calibration"): DESK,
    ("GET", "/desk/labels/calibration.pdf"): DESK,
    ("GET", "/staff/waiting-list"): STAFF_ONLY,
    ("POST", "/staff/waiting-list/{nomination_id}/decision"): STAFF_ONLY,
    ("GET", "/staff/duplicates"): STAFF_ONLY,
    ("POST", "/staff/duplicates/{duplicate_id}/merge"): STAFF_ONLY,
    ("POST", "/staff/duplicates/{duplicate_id}/keep-apart"): STAFF_ONLY,
    ("GET", "/staff/users"): {ADMIN},
    ("POST", "/staff/users"): {ADMIN},
    ("POST", "/staff/users/{user_id}/active"): {ADMIN},
    ("POST", "/staff/users/{user_id}/password"): {ADMIN},
    ("GET", "/staff/centres"): STAFF_ONLY,
    ("POST", "/staff/centres"): STAFF_ONLY,
    ("GET", "/staff/centres/{centre_id}"): STAFF_ONLY,
    ("POST", "/staff/centres/{centre_id}"): STAFF_ONLY,
    ("GET", "/staff/intake"): STAFF_ONLY,
    ("POST", "/staff/intake"): STAFF_ONLY,
    ("GET", "/staff/intake/{donation_id}"): STAFF_ONLY,
    ("GET", "/staff/refurbishment"): STAFF_ONLY,
    ("POST", "/staff/refurbishment/moves"): STAFF_ONLY,
    ("GET", "/staff/refurbishment/{tag}/wipe"): STAFF_ONLY,
    ("POST", "/staff/refurbishment/{tag}/wipe"): STAFF_ONLY,
    ("GET", "/staff/sims"): STAFF_ONLY,
    ("GET", "/staff/sims/to-bar.csv"): STAFF_ONLY,
    ("GET", "/staff/loans"): STAFF_ONLY,
    ("GET", "/staff/families/{family_id}"): STAFF_ONLY,
    ("GET", "/staff/loans.csv"): STAFF_ONLY,
    ("POST", "/staff/sims/{tag}/barred"): STAFF_ONLY,
}

# What shapes answers rather than guards a route, also mirrored from the README's roles table.
EXPECTED_SHAPING = {
    "families.see_evidence": STAFF_AND_SCHOOLS,  # the desk never sees eligibility evidence or notes
    "nominations.see_scores": STAFF_ONLY,  # schools never see scores
    "loans.see_family_contact": STAFF_ONLY,  # the loans CSV has no family contact for the desk
    "assets.see_vouchers": STAFF_ONLY,  # the asset view and CSV have no SIM voucher codes for the desk
}

# Methods Litestar answers itself (CORS preflight), outside authentication.
FRAMEWORK_METHODS = {"OPTIONS", "HEAD"}


def routes(app: Litestar) -> dict[tuple[str, str], object]:
    found = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if method not in FRAMEWORK_METHODS:
                found[(method, route.path_format)] = handler
    return found


def policy_answer(handler: object, path: str) -> set[str] | str | None:
    """Who the policy lets through: every action guard on the handler must agree; None when it decides nothing."""
    if is_public(path):
        return PUBLIC
    actions = actions_of(handler)  # type: ignore[arg-type]
    if not actions:
        return None
    allowed = set(EVERYONE_SIGNED_IN)
    for action in actions:
        allowed &= {role.value for role in ACTIONS[action]}
    return allowed


def test_every_route_has_the_decision_in_the_roles_table(app: Litestar) -> None:
    found = routes(app)
    undecided = sorted(key for key, handler in found.items() if policy_answer(handler, key[1]) is None)
    assert not undecided, f"routes without a policy decision (give them allow('...') or list them public): {undecided}"
    assert sorted(set(found) - set(EXPECTED)) == [], "routes missing from the expected table in this test"
    assert sorted(set(EXPECTED) - set(found)) == [], "routes in the expected table that the app does not have"
    wrong = {key: (policy_answer(h, key[1]), EXPECTED[key]) for key, h in found.items()}
    assert {k: v for k, v in wrong.items() if v[0] != v[1]} == {}


def is_page(path: str) -> bool:
    return not path.startswith(("/api/", "/schema", "/health"))


def test_public_routes_are_the_ones_that_skip_sign_in(app: Litestar) -> None:
    for (method, path), handler in routes(app).items():
        if is_page(path):
            # The pages' sign-in never refuses by itself (the sign-in page must know who is signed in): a public
            # page is one without a guard.
            skips = not handler.resolve_guards()  # type: ignore[attr-defined]
        else:
            skips = bool(handler.opt.get("exclude_from_auth")) or path.startswith("/schema")  # type: ignore[attr-defined]
        assert skips == (EXPECTED[(method, path)] == PUBLIC), (method, path)


def test_shaping_rules_match_the_roles_table() -> None:
    for action, roles in EXPECTED_SHAPING.items():
        assert {r.value for r in ACTIONS[action]} == roles, action


def concrete(path: str) -> str:
    """A path with its parameters filled by values that name nothing (so an allowed call is a 404 or 422)."""
    return re.sub(r"\{(\w+)\}", lambda m: "ZZ-0000-0" if m.group(1) in {"tag", "path"} else "999999", path)


async def test_every_route_and_role_over_http(app: Litestar, client: AsyncTestClient, make_user) -> None:
    tokens = {role.value: (await make_user(role)).headers for role in Role}
    tokens[ANONYMOUS] = {}
    refused = []
    for method, path in sorted(routes(app)):
        if is_page(path):
            continue  # signed in by cookie: tests/web/test_pages_policy.py
        expected = EXPECTED[(method, path)]
        for who, headers in tokens.items():
            answer = await client.request(
                method,
                concrete(path),
                headers=headers,
                json={} if method in {"POST", "PATCH"} else None,
            )
            may = expected == PUBLIC or who in expected  # type: ignore[operator]
            if may:
                if answer.status_code in {401, 403}:
                    refused.append((method, path, who, answer.status_code, answer.text[:200]))
                continue
            status = 401 if who == ANONYMOUS else 403
            assert answer.status_code == status, (method, path, who, answer.text)
            assert answer.headers["content-type"].startswith("application/problem+json"), (method, path, who)
            if status == 403:
                assert f"Your role ({who}) may not do this" in answer.json()["detail"], answer.text
    assert refused == [], "allowed calls that were refused"
