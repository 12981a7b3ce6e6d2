"""Every page route: one list, as the API's ROUTE_HANDLERS in lending/app.py."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from lending.web.desk import DeskPages
from lending.web.families import StaffFamilyPages
from lending.web.finder import finder
from lending.web.issue import IssuePages
from lending.web.labels import LabelPages
from lending.web.loans import StaffLoanPages
from lending.web.school import SchoolPages
from lending.web.signin import SignInPages
from lending.web.staff import StaffPages
from lending.web.stock import IntakePages, RefurbishmentPages, SimPages
from lending.web.stocktake import StocktakePages

WEB_ROUTE_HANDLERS: list[ControllerRouterHandler] = [
    SignInPages,
    finder,
    DeskPages,
    IssuePages,
    SchoolPages,
    StaffPages,
    StaffLoanPages,
    StaffFamilyPages,
    StocktakePages,
    LabelPages,
    IntakePages,
    RefurbishmentPages,
    SimPages,
]
