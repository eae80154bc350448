"""Status changes nobody on the team made say who did: the customer in the portal, or a reply of theirs."""

from __future__ import annotations

import re

import pytest

from lofte.cases.services import case_transition

pytestmark = pytest.mark.django_db


def test_a_close_in_the_portal_is_shown_as_the_customers(client, agent, case):
    case_transition(case=case, actor=None, status="solved", reason="customer_portal")
    client.force_login(agent)
    page = client.get(f"/cases/{case.reference}/").text
    change = re.search(r'<span class="who">([^<]*)</span>\s*changed the status[^<]*<span[^>]*>\(([^)]*)\)', page)
    assert change is not None
    assert change.groups() == ("Karin Kund", "by the customer, in the portal")
