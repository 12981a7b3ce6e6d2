"""A family's staff page: its contact, its opt-outs and every message written to it with its status."""

from __future__ import annotations

from tests.messages.test_api import EMAIL, family_with_messages
from tests.web.conftest import sign_in


async def test_the_family_page_lists_its_messages_with_status(client, pages, staff, volunteer, sessions):
    family_id = await family_with_messages(client, staff, sessions)
    await client.patch(f"/api/v1/families/{family_id}", json={"sms_opt_out": True}, headers=staff.headers)
    await sign_in(pages, staff)
    page = await pages.get(f"/staff/families/{family_id}")
    assert page.status_code == 200, page.text
    html = page.text
    assert '<h2 id="messages-heading">Messages</h2>' in html
    assert "2 messages" in html
    assert 'class="status status-sent">sent' in html and 'class="status status-queued">queued' in html
    assert EMAIL in html and "LAP-000001-X (due-7)" in html
    assert "no texts" in html  # the opt-out shows
    await sign_in(pages, volunteer)
    assert (await pages.get(f"/staff/families/{family_id}")).status_code == 403
    await sign_in(pages, staff)
    assert (await pages.get("/staff/families/999999")).status_code == 404
