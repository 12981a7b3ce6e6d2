"""The HTTP access log without query strings.

Query strings carry personal data: a family search is `/api/v1/families?q=Smith`, a phone number or a postcode.
Every query string is dropped from uvicorn's access log, not only the family routes', so a new route can never leak
one by being forgotten here; the path, method and status are enough to operate the service.
"""

from __future__ import annotations

import copy
import logging
from typing import Any


class StripQueryString(logging.Filter):
    """On the `uvicorn.access` logger: its records carry (client, method, path?query, http version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (args[0], args[1], args[2].split("?", 1)[0], args[3], args[4])
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """Uvicorn's own logging configuration with the filter on its access logger.

    Passed to `uvicorn.run(log_config=...)`, so every worker process uvicorn starts configures it too.
    """
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["strip_query_string"] = {"()": f"{__name__}.StripQueryString"}
    config["loggers"]["uvicorn.access"]["filters"] = ["strip_query_string"]
    return config
