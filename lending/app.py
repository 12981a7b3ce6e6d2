"""The application factory: wires settings, database, auth, errors and every domain's routes."""

from __future__ import annotations

import gc

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Tag
from litestar.types import ControllerRouterHandler

import lending.audit.recorder
import lending.models  # noqa: F401  (the whole schema)
from lending import __version__
from lending.access import provide_actor
from lending.accounts.auth import build_jwt_auth
from lending.accounts.routes import AuthController, MeController, UserController
from lending.accounts.signin import SignIn
from lending.audit.routes import AuditController
from lending.centres.routes import CentreController
from lending.config import Settings, get_settings
from lending.core.db import alchemy_config
from lending.core.errors import problem_handler
from lending.core.health import health
from lending.core.inputs import InputGuard, LendingRequest
from lending.core.openapi import contract_plugins
from lending.core.pagination import provide_list_params
from lending.core.request_id import add_request_id_header
from lending.core.timeouts import BodyTimeout
from lending.core.transactions import RequestTransactions
from lending.documents.layouts import load_layouts
from lending.documents.routes import AssetLabelController, LabelController, LoanAgreementController
from lending.families.priority import effective_weights
from lending.families.routes import FamilyController, NominationController
from lending.inventory.routes import AssetController, DonationController, DonorController, export_assets
from lending.loans.routes import LoanController, SimBarringController, export_loans
from lending.messages.routes import MessageController
from lending.messages.scheduler import Scheduler
from lending.reports.pdf_routes import ReportPdfController
from lending.reports.routes import ReportController
from lending.schools.routes import SchoolController
from lending.stocktakes.routes import StocktakeController
from lending.web.headers import add_security_headers
from lending.web.schema_page import LocalSwagger
from lending.web.setup import web

TAGS = [
    Tag(name="accounts", description="Sign-in, users and roles"),
    Tag(name="centres", description="Hyperlocal centres where devices are kept and lent"),
    Tag(name="inventory", description="Donors, donations, assets, wipes and the asset lifecycle"),
    Tag(name="families", description="Schools, families and nominations; the waiting list"),
    Tag(name="loans", description="Issue, sign, return, extend; lost, stolen, gifted"),
    Tag(name="documents", description="Barcode labels, their calibration per centre, and loan agreements"),
    Tag(name="stocktakes", description="Counting a centre's shelf by scanning: found, missing, unexpected"),
    Tag(name="reports", description="Figures for coordinators, funders and donors: counted, never a family's details"),
    Tag(name="messages", description="The outbox: reminders, extension notices and the staff digest, with status"),
    Tag(name="audit", description="Who changed what, when"),
    Tag(name="system", description="Health"),
]

ROUTE_HANDLERS: list[ControllerRouterHandler] = [
    AuthController,
    MeController,
    UserController,
    CentreController,
    DonorController,
    DonationController,
    AssetController,
    export_assets,
    SchoolController,
    FamilyController,
    NominationController,
    LoanController,
    LoanAgreementController,
    export_loans,
    LabelController,
    AssetLabelController,
    AuditController,
    SimBarringController,
    MessageController,
    StocktakeController,
    ReportController,
    ReportPdfController,
]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    effective_weights(settings.priority_weights)  # an unknown priority factor stops the start, named
    alchemy = alchemy_config(settings)
    transactions = RequestTransactions(alchemy)
    # A bad layout file is logged by name and field and left out; it never stops the service.
    layouts, _problems = load_layouts(settings.labels_dir)
    pages = web(settings, alchemy)
    jwt_auth = build_jwt_auth(settings, alchemy, pages=pages.paths)

    def provide_settings() -> Settings:
        return settings

    return Litestar(
        route_handlers=[health, Router(path="/", route_handlers=ROUTE_HANDLERS), pages.router, pages.static],
        template_config=pages.templates,
        csrf_config=pages.csrf,
        plugins=[SQLAlchemyPlugin(config=alchemy), *contract_plugins(jwt_auth)],
        # After the JWT hook: the per-request transaction wraps the sign-in lookup and ends it before the body.
        on_app_init=[jwt_auth.on_app_init, transactions.on_app_init],
        dependencies={
            "settings": Provide(provide_settings, use_cache=True, sync_to_thread=False),
            "list_params": Provide(provide_list_params),
            # Who is acting, once per request; every service takes it, nothing below the routes reads request.user.
            "actor": Provide(provide_actor, sync_to_thread=False),
        },
        exception_handlers={Exception: problem_handler},
        middleware=[BodyTimeout(settings.body_timeout_seconds), InputGuard],
        request_class=LendingRequest,
        before_send=[add_request_id_header, add_security_headers],
        state=State(
            {
                "settings": settings,
                "jwt_auth": jwt_auth,
                # Sessions of the app's own engine, apart from the request's (see lending.accounts.limits).
                "sign_in": SignIn(settings, lambda: alchemy.create_session_maker()()),
                "layouts": layouts,
                # Sessions of the app's engine outside any request (the reminders' scheduler).
                "sessions": lambda: alchemy.create_session_maker()(),
            }
        ),
        openapi_config=OpenAPIConfig(
            title="Lending API",
            version=__version__,
            description="Lend donated laptops, tablets and data SIMs to families in digital poverty.",
            tags=TAGS,
            path="/schema",
            render_plugins=[LocalSwagger()],
        ),
        # Logging is the process's business (see `lending serve`), not the factory's: creating an app in a
        # test or a worker never reconfigures global logging.
        logging_config=None,
        debug=False,
    )


def _freeze_startup_heap() -> None:
    # Python's full garbage collections walk every live object, and a started app holds hundreds of thousands that
    # live as long as the process (routes, schemas, SQLAlchemy's mappers). Frozen, they are left out of every later
    # collection, which otherwise stopped the whole process, event loop included, for 50-100 ms at a time under load
    # (a desk's lookup p99 under the mixed-load benchmark: 190 ms before, 100 ms after).
    gc.collect()
    gc.freeze()


def create_served_app() -> Litestar:
    """The app as `lending serve` runs it, in each worker process: the factory's app, with its heap frozen once it
    has started. Only here: a test process builds many apps, and frozen objects are never freed."""
    settings = get_settings()
    app = create_app(settings)
    app.on_startup.append(_freeze_startup_heap)
    if settings.reminders_in_process:
        # Each worker runs one; the day's run is claimed in the database, so it happens once whatever their number.
        scheduler = Scheduler(app.state.sessions, settings)
        app.on_startup.append(scheduler.start)
        app.on_shutdown.append(scheduler.stop)
    return app
