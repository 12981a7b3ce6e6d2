from __future__ import annotations

import pytest

from tests.loans.conftest import centre, family, issue, other_centre, stock  # noqa: F401  (shared fixtures)


@pytest.fixture
def count(client, volunteer):
    """Start, scan and read counts over HTTP as a desk volunteer."""

    class Count:
        async def start(self, centre_id: int, actor=None):
            return await client.post(
                "/api/v1/stocktakes", json={"centre_id": centre_id}, headers=(actor or volunteer).headers
            )

        async def scan(self, stocktake_id: int, tag: str, actor=None):
            return await client.post(
                f"/api/v1/stocktakes/{stocktake_id}/scans", json={"tag": tag}, headers=(actor or volunteer).headers
            )

        async def finish(self, stocktake_id: int, actor=None):
            return await client.post(f"/api/v1/stocktakes/{stocktake_id}/finish", headers=(actor or volunteer).headers)

        async def read(self, stocktake_id: int, actor=None) -> dict:
            response = await client.get(f"/api/v1/stocktakes/{stocktake_id}", headers=(actor or volunteer).headers)
            assert response.status_code == 200, response.text
            return response.json()

    return Count()


def tags_by_outcome(detail: dict) -> dict[str, list[str]]:
    return {outcome: sorted(item["tag"] for item in items) for outcome, items in detail["results"].items()}
