"""Only admins use the settings pages: every page renders for an admin; a lead, an agent and a QA reviewer get
403 with the reason (also for an id that does not exist), and a refused POST changes nothing."""

from __future__ import annotations

import pytest

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.models import CaseType
from lofte.cases.tests.factories import CaseTypeFactory
from lofte.channels.models import Mailbox
from lofte.promises.calendars import calendar_create
from lofte.promises.models import BusinessCalendar, SlaPolicy
from lofte.promises.policies import policy_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def things(db):  # type: ignore[no-untyped-def]
    calendar = calendar_create(name="Office", country="SE")
    policy = policy_create(name="Everyone", first_response_minutes=60, first_response_calendar=calendar)
    case_type = CaseTypeFactory(name="Invoice")
    mailbox = Mailbox.objects.create(name="support", address="support@example.se")
    return {"calendar": calendar, "policy": policy, "case_type": case_type, "mailbox": mailbox}


def pages(t: dict) -> list[str]:  # type: ignore[type-arg]
    return [
        "/configure/",
        "/configure/calendars/",
        "/configure/calendars/new",
        f"/configure/calendars/{t['calendar'].pk}/",
        f"/configure/calendars/{t['calendar'].pk}/preview",
        "/configure/sla/",
        "/configure/sla/new",
        f"/configure/sla/{t['policy'].pk}/",
        f"/configure/sla/{t['policy'].pk}/preview",
        "/configure/case-types/",
        "/configure/case-types/new",
        f"/configure/case-types/{t['case_type'].pk}/",
        f"/configure/case-types/{t['case_type'].pk}/preview",
        "/configure/mailboxes/",
        "/configure/mailboxes/new",
        f"/configure/mailboxes/{t['mailbox'].pk}/",
        f"/configure/mailboxes/{t['mailbox'].pk}/preview",
    ]


def test_every_page_renders_for_an_admin(admin_client, things):
    for url in pages(things):
        response = admin_client.get(url)
        assert response.status_code == 200, url
    assert admin_client.get("/configure/calendars/999999/").status_code == 404
    assert admin_client.get("/configure/sla/999999/").status_code == 404
    assert admin_client.get("/configure/case-types/999999/").status_code == 404
    assert admin_client.get("/configure/mailboxes/999999/").status_code == 404


def rows() -> tuple[list, ...]:  # type: ignore[type-arg]
    return (
        list(BusinessCalendar.objects.values()),
        list(SlaPolicy.objects.values()),
        list(CaseType.objects.values()),
        list(Mailbox.objects.values()),
    )


@pytest.mark.parametrize("role", [Role.TEAM_LEAD, Role.AGENT, Role.QA_REVIEWER])
def test_other_roles_get_403_with_the_reason_and_change_nothing(client, team, things, role):
    client.force_login(AgentFactory(role=role, teams=[team]))
    for url in [*pages(things), "/configure/calendars/999999/"]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Only admins can change this." in response.content.decode()
    before = rows()
    posts = {
        "/configure/calendars/new": {
            "name": "Evil",
            "time_zone": "Europe/Stockholm",
            "mon_open_0": "08:00",
            "mon_close_0": "17:00",
        },
        f"/configure/calendars/{things['calendar'].pk}/": {"name": "Evil", "time_zone": "UTC"},
        "/configure/sla/new": {"name": "Evil", "order": 1, "first_response_minutes": 1, "wall_clock": "on"},
        f"/configure/sla/{things['policy'].pk}/": {
            "name": "Evil",
            "order": 1,
            "first_response_minutes": 1,
            "wall_clock": "on",
        },
        "/configure/case-types/new": {"name": "Evil", "default_priority": 2, "breach_notice_hours": 4},
        f"/configure/case-types/{things['case_type'].pk}/": {
            "name": "Evil",
            "default_priority": 2,
            "breach_notice_hours": 4,
        },
        f"/configure/case-types/{things['case_type'].pk}/remove": {},
        "/configure/mailboxes/new": {"name": "evil", "address": "evil@example.net", "imap_port": 993, "smtp_port": 587},
        f"/configure/mailboxes/{things['mailbox'].pk}/": {"name": "evil", "address": "evil@example.net"},
        f"/configure/mailboxes/{things['mailbox'].pk}/test": {},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    assert rows() == before


def test_anonymous_is_sent_to_the_login_page(client, things):
    response = client.get("/configure/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_the_connection_test_is_post_only(admin_client, things):
    assert admin_client.get(f"/configure/mailboxes/{things['mailbox'].pk}/test").status_code == 405
    assert admin_client.get(f"/configure/case-types/{things['case_type'].pk}/remove").status_code == 405


def test_the_index_counts_each_section(admin_client, things):
    policy_create(name="Old", first_response_minutes=5, is_active=False)
    page = admin_client.get("/configure/").content.decode()
    assert '<span class="n">1</span>SLA policies active, of 2' in page
    assert '<span class="n">1</span>case types active, of 1' in page
    assert '<span class="n">1</span>mailboxes active, of 1' in page
