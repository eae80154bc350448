"""The agent sees how many SMS a reply becomes, and in which encoding, before sending."""

from __future__ import annotations

import pytest

from lofte.cases.tests.factories import make_case

pytestmark = pytest.mark.django_db


def test_the_count_for_plain_text_and_for_emoji(client, agent):
    client.force_login(agent)
    assert client.get("/sms/segments", {"body": "Hej Karin!"}).text == "1 SMS (GSM-7), 150 characters left in it"
    assert client.get("/sms/segments", {"body": "x" * 161}).text.startswith("2 SMS (GSM-7)")
    assert client.get("/sms/segments", {"body": "Tack 🙂"}).text.startswith("1 SMS (UCS-2)")


def test_an_sms_case_shows_the_counter_and_an_email_case_does_not(client, agent, customer, team):
    client.force_login(agent)
    sms = make_case(customer=customer, team=team, channel="sms")
    mail = make_case(customer=customer, team=team, channel="email")
    assert 'id="sms-count"' in client.get(f"/cases/{sms.reference}/").text
    assert 'id="sms-count"' not in client.get(f"/cases/{mail.reference}/").text


def test_only_agents_see_it(client):
    assert client.get("/sms/segments", {"body": "x"}).status_code == 302
