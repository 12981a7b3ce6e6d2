"""Data for the desk's page tests, set up through the API as a client would (the test client or a live server)."""

from __future__ import annotations

from typing import Any

from tests.families.conftest import family_data
from tests.support import days_ago


class DeskData:
    """Centres, families, stock and loans made through the API with staff's token (loans with the lender's)."""

    def __init__(self, api: Any, staff_headers: dict[str, str]) -> None:
        self.api = api
        self.staff = staff_headers
        self.n = 0

    async def centre(self, name: str = "Sparkbrook Hub", postcode: str = "B11 1AA") -> dict[str, Any]:
        answer = await self.api.post("/api/v1/centres", json={"name": name, "postcode": postcode}, headers=self.staff)
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    async def family(self, name: str = "Amina Khan", phone: str = "07911 123456", **extra: Any) -> dict[str, Any]:
        answer = await self.api.post(
            "/api/v1/families", json=family_data(name=name, phone=phone, **extra), headers=self.staff
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    async def stock(self, count: int, centre_name: str = "Sparkbrook Hub", wiped: bool = True) -> list[str]:
        """Laptops imported ready (with their wipe), or received and not wiped yet."""
        lines = [
            "kind,status,centre,make,model,serial_number,"
            "wipe_method,wipe_performed_on,wipe_performed_by,wipe_certificate_reference"
        ]
        for _ in range(count):
            self.n += 1
            if wiped:
                lines.append(
                    f"laptop,ready,{centre_name},Dell,Latitude 5490,SER-{self.n},"
                    f"nwipe,{days_ago(2)},Workshop,NW-{self.n}"
                )
            else:
                lines.append(f"laptop,received,{centre_name},Lenovo,ThinkPad T480,SER-{self.n},,,,")
        answer = await self.api.post(
            "/api/v1/assets/import",
            content="\n".join(lines).encode(),
            headers={**self.staff, "Content-Type": "text/csv"},
        )
        assert answer.status_code == 200, answer.text
        return list(answer.json()["tags"])

    async def lend(
        self, family: dict[str, Any], centre: dict[str, Any], tags: list[str], headers: dict[str, str]
    ) -> dict:
        body = {"family_id": family["id"], "centre_id": centre["id"], "items": tags}
        answer = await self.api.post("/api/v1/loans", json=body, headers=headers)
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    async def loan(self, loan_id: int) -> dict[str, Any]:
        answer = await self.api.get(f"/api/v1/loans/{loan_id}", headers=self.staff)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())
