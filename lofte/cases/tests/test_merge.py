"""Merge, split and link: everything moves to the case that stays, promises are owed once, only one customer's open
cases merge, and a reference an agent may not see is "not found" and changes nothing; the pages and the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from lofte.accounts.models import Role
from lofte.accounts.tests.api_client import Api
from lofte.accounts.tests.factories import AgentFactory
from lofte.callbacks.models import Call
from lofte.callbacks.services import call_log
from lofte.cases import merge, services
from lofte.cases.models import Case, CaseEvent, CaseLink, EventKind, Message, Note, Status
from lofte.cases.search import search_q
from lofte.cases.tests.factories import make_case
from lofte.core import clock
from lofte.core.errors import NotFound, PermissionDenied, ValidationFailed
from lofte.customers.tests.factories import CustomerFactory
from lofte.promises.models import Promise, PromiseKind, PromiseState
from lofte.promises.policies import policy_create

pytestmark = pytest.mark.django_db

T0 = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)  # wall-clock policies: any time
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def fast_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def policy():  # type: ignore[no-untyped-def]
    return policy_create(name="Standard", first_response_minutes=8 * 60, resolution_minutes=5 * 24 * 60)


def opened(customer, team, minutes: int = 0, **kwargs) -> Case:  # type: ignore[no-untyped-def]
    with clock.at(T0 + timedelta(minutes=minutes)):
        return make_case(customer=customer, team=team, **kwargs)


def found(q: str) -> list[int]:
    return list(Case.objects.filter(search_q(q)).values_list("pk", flat=True))


def pending(case: Case, kind: str) -> list[Promise]:
    return list(Promise.objects.filter(case=case, kind=kind, state=PromiseState.PENDING))


class TestMerge:
    def test_everything_moves_to_the_target_and_the_others_close_with_a_link(self, agent, team, customer):
        target = opened(customer, team, subject="Fakturan", body="Fakturan är fel.")
        source = opened(customer, team, minutes=5, subject="Igen", body="Tvättmaskinen läcker.", tags=["vitvaror"])
        note = services.case_note_add(case=source, author=agent, body="Ring kunden")
        call = call_log(agent=agent, direction="in", number="070-123 45 67", outcome="answered", case=source).call
        moved_messages = set(Message.objects.filter(case=source).values_list("pk", flat=True))
        with clock.at(T0 + timedelta(hours=1)):
            into, merged = merge.cases_merge(agent=agent, target=target.reference, sources=[source.reference])
        assert (into.pk, [c.pk for c in merged]) == (target.pk, [source.pk])
        assert moved_messages <= set(Message.objects.filter(case=target).values_list("pk", flat=True))
        assert not Message.objects.filter(case=source).exists()
        assert Note.objects.get(pk=note.pk).case_id == target.pk
        assert Call.objects.get(pk=call.pk).case_id == target.pk
        assert sorted(t.name for t in Case.objects.get(pk=target.pk).tags.all()) == ["vitvaror"]
        source.refresh_from_db()
        assert (source.status, source.closed_at, source.next_due_at) == (Status.CLOSED, T0 + timedelta(hours=1), None)
        assert CaseLink.objects.get().to_case_id == target.pk
        source_kinds = list(CaseEvent.objects.filter(case=source).values_list("kind", flat=True))
        assert EventKind.MERGED_INTO in source_kinds and EventKind.STATUS_CHANGED in source_kinds
        merged_event = CaseEvent.objects.get(case=target, kind=EventKind.MERGED)
        assert merged_event.data == {"references": [source.reference]}
        # the target's search text now holds the merged case's words
        assert found("Tvättmaskinen") == [target.pk]

    def test_promises_are_owed_once(self, agent, team, customer, policy):
        target = opened(customer, team)
        source = opened(customer, team, minutes=30)
        callback_like = services.case_promise_make(case=source, author=agent, due_at=T0 + timedelta(days=2))
        [src_first] = pending(source, PromiseKind.FIRST_RESPONSE)
        merge.cases_merge(agent=agent, target=target.reference, sources=[source.reference])
        # one first response and one resolution on the target: the target's own
        assert len(pending(target, PromiseKind.FIRST_RESPONSE)) == 1
        assert len(pending(target, PromiseKind.RESOLUTION)) == 1
        src_first.refresh_from_db()
        assert (src_first.state, src_first.case_id) == (PromiseState.CANCELLED, source.pk)
        assert src_first.cancel_reason == f"merged into {target.reference}"
        # the agent's own promise is a commitment of its own: it moves, still pending
        callback_like.refresh_from_db()
        assert (callback_like.case_id, callback_like.subject_id, callback_like.state) == (
            target.pk,
            target.pk,
            PromiseState.PENDING,
        )
        assert Promise.objects.filter(case=source, state=PromiseState.PENDING).count() == 0
        assert CaseEvent.objects.filter(case=source, kind=EventKind.PROMISE_CANCELLED).count() == 2
        target.refresh_from_db()
        assert target.next_due_at == min(p.due_at for p in Promise.objects.filter(case=target, state="pending"))

    def test_a_promise_the_target_lacks_carries_over(self, agent, team, customer, policy):
        target = opened(customer, team)
        services.case_reply(case=target, author=agent, body="Vi tittar på det.")  # keeps its first response
        assert pending(target, PromiseKind.FIRST_RESPONSE) == []
        source = opened(customer, team, minutes=10)
        [src_first] = pending(source, PromiseKind.FIRST_RESPONSE)
        merge.cases_merge(agent=agent, target=target.reference, sources=[source.reference])
        assert [p.pk for p in pending(target, PromiseKind.FIRST_RESPONSE)] == [src_first.pk]

    def test_two_sources_with_the_same_promise_carry_over_the_earliest_once(self, agent, team, customer, policy):
        target = opened(customer, team)
        services.case_reply(case=target, author=agent, body="Svar.")
        early, late = opened(customer, team, minutes=1), opened(customer, team, minutes=50)
        [early_first] = pending(early, PromiseKind.FIRST_RESPONSE)
        merge.cases_merge(agent=agent, target=target.reference, sources=[late.reference, early.reference])
        assert [p.pk for p in pending(target, PromiseKind.FIRST_RESPONSE)] == [early_first.pk]

    def test_another_customers_case_is_refused_and_nothing_changes(self, agent, team, customer):
        target = opened(customer, team)
        stranger = opened(CustomerFactory(), team)
        before = Message.objects.filter(case=stranger).count()
        with pytest.raises(ValidationFailed, match="another customer"):
            merge.cases_merge(agent=agent, target=target.reference, sources=[stranger.reference])
        stranger.refresh_from_db()
        assert stranger.status == Status.NEW and Message.objects.filter(case=stranger).count() == before
        assert not CaseLink.objects.exists()

    def test_a_case_one_may_not_see_is_not_found_and_stays(self, agent, outsider, team, other_team, customer):
        target = opened(customer, other_team)  # outsider's
        hidden = opened(customer, team)  # not outsider's
        with pytest.raises(ValidationFailed, match=f"No case {hidden.reference}"):
            merge.cases_merge(agent=outsider, target=target.reference, sources=[hidden.reference])
        with pytest.raises(NotFound):
            merge.cases_merge(agent=outsider, target=hidden.reference, sources=[target.reference])
        assert Case.objects.filter(status=Status.CLOSED).count() == 0

    def test_closed_cases_and_read_only_roles_are_refused(self, agent, team, customer):
        target, source = opened(customer, team), opened(customer, team)
        services.case_update(case=source, actor=agent, status=Status.SOLVED)
        services.case_transition(case=source, actor=agent, status=Status.CLOSED)
        with pytest.raises(ValidationFailed, match="closed"):
            merge.cases_merge(agent=agent, target=target.reference, sources=[source.reference])
        with pytest.raises(ValidationFailed, match="closed"):
            merge.cases_merge(agent=agent, target=source.reference, sources=[target.reference])
        qa = AgentFactory(role=Role.QA_REVIEWER, teams=[team])
        with pytest.raises(PermissionDenied):
            merge.cases_merge(agent=qa, target=target.reference, sources=[opened(customer, team).reference])
        with pytest.raises(ValidationFailed, match="at least one other"):
            merge.cases_merge(agent=agent, target=target.reference, sources=[target.reference])

    def test_bulk_merge_goes_into_the_oldest(self, agent, team, customer):
        first = opened(customer, team)
        second, third = opened(customer, team, minutes=3), opened(customer, team, minutes=9)
        into, merged = merge.cases_merge_selected(
            agent=agent, references=[third.reference, first.reference, second.reference]
        )
        assert into.pk == first.pk and sorted(c.pk for c in merged) == sorted([second.pk, third.pk])
        with pytest.raises(ValidationFailed, match="at least two"):
            merge.cases_merge_selected(agent=agent, references=[first.reference])

    def test_query_count_does_not_grow_with_the_cases(self, agent, team, customer, django_assert_max_num_queries):
        target = opened(customer, team)
        few = [opened(customer, team).reference for _ in range(2)]
        many = [opened(customer, team).reference for _ in range(8)]
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as two:
            merge.cases_merge(agent=agent, target=target.reference, sources=few)
        target2 = opened(customer, team)
        with CaptureQueriesContext(connection) as eight:
            merge.cases_merge(agent=agent, target=target2.reference, sources=many)
        # per merged case: one save; the rest is a fixed number of statements
        assert len(eight) - len(two) <= 6 * 2


class TestSplit:
    def test_a_later_message_becomes_a_case_of_its_own(self, agent, team, customer, policy):
        case = opened(customer, team, subject="Faktura")
        with clock.at(T0 + timedelta(minutes=20)):
            later = services.case_add_inbound(case=case, body="Och min adress har ändrats.", channel="email")
        with clock.at(T0 + timedelta(hours=1)):
            new = merge.case_split(agent=agent, case=case, message_id=later.pk)
        assert (new.customer_id, new.team_id, new.status) == (customer.pk, team.pk, Status.NEW)
        assert list(Message.objects.filter(case=new).values_list("pk", flat=True)) == [later.pk]
        assert not Message.objects.filter(case=case, pk=later.pk).exists()
        assert CaseEvent.objects.filter(case=new, message=later).exists()
        assert CaseLink.objects.get(from_case=new).to_case_id == case.pk
        # a new matter gets what a new case gets: the SLA's first response, from now
        [first] = pending(new, PromiseKind.FIRST_RESPONSE)
        assert first.created_at == T0 + timedelta(hours=1)
        assert found("adress") == [new.pk]
        assert dict(merge.case_links(agent=agent, case=case)) == {"split_into": new}

    def test_the_first_message_a_reply_or_another_cases_message_cannot_be_split(self, agent, team, customer):
        case = opened(customer, team)
        first = Message.objects.get(case=case)
        reply = services.case_reply(case=case, author=agent, body="Hej")
        other = opened(customer, team)
        for message, why in (
            (first, "opened the case"),
            (reply, "from the customer"),
            (Message.objects.get(case=other), "not on this case"),
        ):
            with pytest.raises(ValidationFailed, match=why):
                merge.case_split(agent=agent, case=case, message_id=message.pk)
        assert Case.objects.count() == 2


class TestLinks:
    def test_link_shows_on_both_and_can_be_removed(self, agent, team, customer):
        a, b = opened(customer, team), opened(CustomerFactory(), team)
        merge.case_link(agent=agent, case=a, other=b.reference.lower())
        assert merge.case_links(agent=agent, case=a) == [("related", b)]
        assert merge.case_links(agent=agent, case=b) == [("related", a)]
        with pytest.raises(ValidationFailed, match="already linked"):
            merge.case_link(agent=agent, case=b, other=a.reference)
        merge.case_unlink(agent=agent, case=b, other=a.reference)
        assert merge.case_links(agent=agent, case=a) == []
        kinds = CaseEvent.objects.filter(case__in=[a, b]).values_list("kind", flat=True)
        assert list(kinds).count(EventKind.LINKED) == 2 and list(kinds).count(EventKind.UNLINKED) == 2

    def test_no_self_link_and_no_link_to_a_case_one_cannot_see(self, agent, outsider, team, other_team, customer):
        mine, hidden = opened(customer, other_team), opened(customer, team)
        with pytest.raises(ValidationFailed, match="itself"):
            merge.case_link(agent=outsider, case=mine, other=mine.reference)
        with pytest.raises(ValidationFailed, match=f"No case {hidden.reference}"):
            merge.case_link(agent=outsider, case=mine, other=hidden.reference)
        assert not CaseLink.objects.exists()
        # a link someone else made to a case one cannot see is not shown
        merge.case_link(agent=AgentFactory(role=Role.ADMIN), case=mine, other=hidden.reference)
        assert merge.case_links(agent=outsider, case=mine) == []


class TestPages:
    def test_merge_from_the_case_page(self, agent, team, customer):
        target, source = opened(customer, team), opened(customer, team)
        client = Client()
        client.force_login(agent)
        page = client.get(reverse("cases:detail", args=[source.reference]))
        assert b'name="into"' in page.content and target.reference.encode() in page.content  # offered
        response = client.post(reverse("cases:merge", args=[source.reference]), {"into": target.reference}, **HX)
        assert response.status_code == 200
        assert f"Merged into {target.reference}.".encode() in response.content
        assert Case.objects.get(pk=source.pk).status == Status.CLOSED

    def test_merge_error_keeps_what_was_typed(self, agent, team, customer):
        source = opened(customer, team)
        client = Client()
        client.force_login(agent)
        response = client.post(reverse("cases:merge", args=[source.reference]), {"into": "LF-1999-424242"}, **HX)
        assert response.status_code == 422
        assert b"No case LF-1999-424242" in response.content and b'value="LF-1999-424242"' in response.content

    def test_split_and_link_from_the_case_page(self, agent, team, customer):
        case = opened(customer, team)
        later = services.case_add_inbound(case=case, body="En sak till", channel="email")
        client = Client()
        client.force_login(agent)
        page = client.get(reverse("cases:detail", args=[case.reference]))
        assert page.content.count(b"Split into a new case") == 1  # the later message only
        response = client.post(reverse("cases:split", args=[case.reference]), {"message": later.pk}, **HX)
        new = Case.objects.exclude(pk=case.pk).get()
        assert response.status_code == 200 and new.reference.encode() in response.content
        response = client.post(reverse("cases:link", args=[case.reference]), {"reference": "nope"}, **HX)
        assert response.status_code == 422 and b"No case NOPE" in response.content

    def test_bulk_merge_from_the_inbox(self, agent, team, customer):
        cases = [opened(customer, team, minutes=i) for i in range(3)]
        client = Client()
        client.force_login(agent)
        response = client.post(
            reverse("cases:bulk"), {"cases": [c.reference for c in cases], "merge": "1", "view": "all"}, **HX
        )
        assert response.status_code == 200
        assert f"2 cases merged into {cases[0].reference}.".encode() in response.content
        assert response["HX-Trigger"] == "bulk-done"


class TestApi:
    def test_merge_split_and_links(self, agent, team, customer):
        api = Api(agent)
        target, source = opened(customer, team), opened(customer, team)
        response = api.post(f"/cases/{target.reference}/merge", {"sources": [source.reference.lower()]})
        assert response.status_code == 200, response.content
        assert response.json() == {"case": target.reference, "merged": [source.reference]}
        later = services.case_add_inbound(case=target, body="Ny fråga", channel="email")
        response = api.post(f"/cases/{target.reference}/split", {"message": later.pk})
        assert response.status_code == 201
        new_ref = response.json()["reference"]
        assert [m["id"] for m in response.json()["messages"]] == [later.pk]
        links = api.get(f"/cases/{target.reference}/links").json()
        assert {(x["reference"], x["how"]) for x in links} == {
            (source.reference, "merged_from"),
            (new_ref, "split_into"),
        }
        other = opened(CustomerFactory(), team)
        response = api.post(f"/cases/{target.reference}/links", {"reference": other.reference})
        assert response.status_code == 201 and (other.reference, "related") in {
            (x["reference"], x["how"]) for x in response.json()
        }
        assert api.delete(f"/cases/{target.reference}/links/{other.reference}").status_code == 204
        assert api.delete(f"/cases/{target.reference}/links/{other.reference}").status_code == 422

    def test_refusals(self, agent, outsider, team, other_team, customer):
        target, source = opened(customer, team), opened(customer, team)
        response = Api(outsider).post(f"/cases/{target.reference}/merge", {"sources": [source.reference]})
        assert response.status_code == 404
        response = Api(agent).post(f"/cases/{target.reference}/merge", {"sources": []})
        assert response.status_code == 422
        qa = AgentFactory(role=Role.QA_REVIEWER, teams=[team])
        response = Api(qa).post(f"/cases/{target.reference}/merge", {"sources": [source.reference]})
        assert response.status_code == 403
        assert Case.objects.filter(status=Status.CLOSED).count() == 0


class TestWorkspace:
    """The inbox's third pane, the reply that waits for a message that came meanwhile, send and next."""

    def test_the_inbox_opens_a_case_in_its_pane(self, agent, team, customer):
        case = opened(customer, team, subject="Pane case")
        client = Client()
        client.force_login(agent)
        page = client.get(reverse("cases:inbox"), {"view": "all", "open": case.reference.lower()})
        html = page.content.decode()
        assert page.status_code == 200 and 'class="inbox has-case"' in html
        pane = html.split('id="pane"', 1)[1]
        assert f'data-case="{case.reference}"' in pane and 'name="seen"' in pane
        assert f'data-ref="{case.reference}"' in html  # the rows name their case for j/k

    def test_a_case_one_may_not_see_is_not_opened(self, outsider, agent, team, customer):
        case = opened(customer, team, subject="Hemligt ärende")
        client = Client()
        client.force_login(outsider)
        page = client.get(reverse("cases:inbox"), {"open": case.reference})
        assert page.status_code == 200
        assert b"Hemligt" not in page.content and b"data-pane-gone" in page.content

    def test_a_reply_waits_when_a_new_message_came_meanwhile(self, agent, team, customer):
        case = opened(customer, team)
        seen = Message.objects.filter(case=case).latest("id").pk
        services.case_add_inbound(case=case, body="Jag hittade kvittot!", channel="email")
        client = Client()
        client.force_login(agent)
        url = reverse("cases:reply", args=[case.reference])
        response = client.post(url, {"body": "Vi återkommer.", "seen": seen}, **HX)
        assert response.status_code == 422
        html = response.content.decode()
        assert "A new message came in on this case" in html and "Jag hittade kvittot!" in html
        assert "Vi återkommer." in html  # the reply is kept
        assert not Message.objects.filter(case=case, direction="out").exists()
        newest = Message.objects.filter(case=case).latest("id").pk
        assert f'name="seen" value="{newest}"' in html
        response = client.post(url, {"body": "Vi återkommer.", "seen": newest}, **HX)
        assert response.status_code == 200
        assert Message.objects.filter(case=case, direction="out").count() == 1

    def test_ones_own_reply_in_another_tab_is_no_collision(self, agent, team, customer):
        case = opened(customer, team)
        seen = Message.objects.filter(case=case).latest("id").pk
        services.case_reply(case=case, author=agent, body="Först.")
        client = Client()
        client.force_login(agent)
        response = client.post(reverse("cases:reply", args=[case.reference]), {"body": "Sedan.", "seen": seen}, **HX)
        assert response.status_code == 200
        assert Message.objects.filter(case=case, direction="out").count() == 2

    def test_send_and_next_is_an_agents_setting(self, agent):
        client = Client()
        client.force_login(agent)
        assert b"data-send-next" not in client.get(reverse("accounts:preferences")).content
        response = client.post(
            reverse("accounts:preferences"), {"form": "preferences", "name": "Alma", "send_and_next": "on"}
        )
        assert response.status_code == 302
        agent.refresh_from_db()
        assert agent.send_and_next is True
        assert b'data-send-next="1"' in client.get(reverse("cases:inbox")).content


class TestSendAndNextOnTheCasePage:
    """On a case's own page, "send and next" opens the case after it in the view the agent last listed."""

    def test_the_next_case_of_the_last_view_opens(self, agent, team, customer):
        first, second, third = (opened(customer, team, minutes=i) for i in range(3))
        agent.send_and_next = True
        agent.save(update_fields=["send_and_next"])
        client = Client()
        client.force_login(agent)
        assert client.get(reverse("cases:inbox"), {"view": "all", "sort": "created_at"}).status_code == 200
        response = client.post(
            reverse("cases:reply", args=[second.reference]),
            {"body": "Klart.", "status": "waiting_on_customer"},
            HTTP_HX_REQUEST="true",
            HTTP_HX_CURRENT_URL=f"http://testserver/cases/{second.reference}/",
        )
        assert response.status_code == 204
        assert response["HX-Redirect"] == reverse("cases:detail", args=[third.reference])
        assert Message.objects.filter(case=second, direction="out").count() == 1
        page = client.get(response["HX-Redirect"]).content.decode()
        assert f"Reply sent on {second.reference}. This is the next case in your view." in page
        # without JavaScript: a redirect; the last case of the view has none after it, so it stays
        response = client.post(reverse("cases:reply", args=[third.reference]), {"body": "Klart."})
        assert response.status_code == 302 and response["Location"] == reverse("cases:detail", args=[third.reference])
        assert not Message.objects.filter(case=first, direction="out").exists()

    def test_off_or_in_the_inbox_pane_nothing_moves(self, agent, team, customer):
        case, other = opened(customer, team), opened(customer, team)
        client = Client()
        client.force_login(agent)
        client.get(reverse("cases:inbox"), {"view": "all"})
        response = client.post(reverse("cases:reply", args=[case.reference]), {"body": "Av."})
        assert response["Location"] == reverse("cases:detail", args=[case.reference])  # the setting is off
        agent.send_and_next = True
        agent.save(update_fields=["send_and_next"])
        response = client.post(
            reverse("cases:reply", args=[case.reference]),
            {"body": "I rutan."},
            HTTP_HX_REQUEST="true",
            HTTP_HX_CURRENT_URL="http://testserver/inbox/?view=all&open=" + case.reference,
        )
        assert response.status_code == 200 and "HX-Redirect" not in response  # the pane's own script moves on
        assert Message.objects.filter(case=case, direction="out").count() == 2
        assert not Message.objects.filter(case=other, direction="out").exists()

    def test_a_refused_reply_stays_with_its_text(self, agent, team, customer):
        case, _other = opened(customer, team), opened(customer, team)
        agent.send_and_next = True
        agent.save(update_fields=["send_and_next"])
        client = Client()
        client.force_login(agent)
        client.get(reverse("cases:inbox"), {"view": "all"})
        response = client.post(reverse("cases:reply", args=[case.reference]), {"body": "![x](cid:saknas.png)"})
        assert response.status_code == 422
        assert "![x](cid:saknas.png)</textarea>" in response.content.decode()
