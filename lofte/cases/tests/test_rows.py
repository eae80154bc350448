"""The rows of the inbox and of the board, built in Python (`case_rows`, `promise_rows`), are the markup the
templates they replace produced, cell for cell, and escape what customers and agents wrote."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.template import Context, Template
from django.utils import translation

from lofte.accounts.tests.factories import AgentFactory, TeamFactory
from lofte.cases import selectors
from lofte.cases.models import Case, Tag
from lofte.cases.tests.factories import make_case
from lofte.core import clock
from lofte.customers.tests.factories import CustomerFactory
from lofte.promises.board import board_for
from lofte.promises.models import Promise, PromiseKind, PromiseOrigin, PromiseState

pytestmark = pytest.mark.django_db

# the templates' loops as they were (lofte 2b2545a), the reference the Python rows are held to
CASE_ROWS_AS_TEMPLATE = """{% load lofte %}{% translate "Assignee" as assignee_label %}{% translate "(no name)" as no_name %}{% translate "Age" as age_label %}{% translate "Next promise" as next_label %}{% for case in cases %}{% with href=case.reference|case_href %}
<tr class="row-priority-{{ case.priority }}" data-row data-ref="{{ case.reference }}" data-href="{{ href }}">
  <td class="c-ref"><a href="{{ href }}" class="ref">{{ case.reference }}</a></td>
  <td class="c-customer">{{ case.customer.name|default:no_name }}{% if case.assignee %}<div class="muted small">{{ assignee_label }}: {{ case.assignee.display_name }}</div>{% endif %}</td>
  <td class="c-subject"><a href="{{ href }}">{{ case.subject }}</a>
    {% for tag in case.tags.all %}<span class="tag">{{ tag.name }}</span>{% endfor %}</td>
  <td class="c-channel"><span class="channel channel-{{ case.channel }}">{{ case.channel|channel_label }}</span></td>
  <td class="c-status"><span class="status status-{{ case.status }}">{{ case.status|status_label }}</span></td>
  <td class="c-age" data-label="{{ age_label }}">{{ case.created_at|time_since }}</td>
  <td class="c-next" data-label="{{ next_label }}">{{ case.next_due_at|due_time }}</td>
</tr>
{% endwith %}{% endfor %}"""  # noqa: E501

PROMISE_ROWS_AS_TEMPLATE = """{% load lofte %}{% for p in items %}
    <tr>
      <td class="p-case">{% if p.case %}<a class="ref" href="{{ p.case.reference|case_href }}">{{ p.case.reference }}</a><div class="small">{{ p.case.subject }}</div>{% elif p.subject_url %}<a class="ref" href="{{ p.subject_url }}">{{ p.subject_reference }}</a>{% endif %}</td>
      <td class="p-kind">{{ p.kind|promise_kind_label }}{% if p.state == "broken" %} <span class="state state-broken">{{ p.state|promise_state_label }}</span>{% endif %}</td>
      <td class="p-due">{{ p|promise_due }}</td>
      <td class="p-owner">{% if p.owner_agent %}{{ p.owner_agent.display_name }}{% elif p.owner_team %}{{ p.owner_team.name }}{% endif %}</td>
    </tr>
  {% endfor %}"""  # noqa: E501


def cells(html: str) -> list[str]:
    """The markup with the whitespace between tags taken out: the two may lay out lines differently."""
    return [part for part in re.split(r">\s+<|>\s*(?=<)", html.strip()) if part]


def render(source: str, **context: object) -> str:
    return Template(source).render(Context(context))


@pytest.fixture
def team():  # type: ignore[no-untyped-def]
    return TeamFactory(name="Support & <Billing>")


@pytest.fixture
def cases(team):  # type: ignore[no-untyped-def]
    agent = AgentFactory(teams=[team], name='Eva "Ewa" <Berg>')
    named = make_case(customer=CustomerFactory(name="Åsa <script>alert(1)</script>"), subject="Faktura & <moms>")
    named.tags.set([Tag.objects.create(name="vip"), Tag.objects.create(name="<b>bold</b>")])
    Case.objects.filter(pk=named.pk).update(assignee=agent, team=team, priority=3)
    unnamed = make_case(customer=CustomerFactory(name=""), subject="Hej", channel="sms")
    Case.objects.filter(pk=unnamed.pk).update(next_due_at=clock.now() - timedelta(minutes=5))  # broken
    make_case(subject="Later", channel="chat")
    return selectors._shown(Case.objects.order_by("id"))


@pytest.mark.parametrize("language", ["en", "sv", "fi"])
def test_case_rows_are_the_markup_the_template_made(cases, language):
    with translation.override(language):
        expected = render(CASE_ROWS_AS_TEMPLATE, cases=cases)
        built = render("{% load lofte %}{% case_rows cases %}", cases=cases)

    assert cells(built) == cells(expected)
    assert built.count("<tr ") == 3


def test_case_rows_escape_what_was_written(cases):
    built = render("{% load lofte %}{% case_rows cases %}", cases=cases)

    assert "<script>" not in built and "&lt;script&gt;alert(1)&lt;/script&gt;" in built
    assert "Faktura &amp; &lt;moms&gt;" in built
    assert "<b>bold</b>" not in built and "&lt;b&gt;bold&lt;/b&gt;" in built
    assert "Eva &quot;Ewa&quot; &lt;Berg&gt;" in built


@pytest.mark.parametrize("language", ["en", "sv", "fi"])
def test_promise_rows_are_the_markup_the_template_made(cases, team, language):
    # given: a pending promise on a case, a broken one owed on a case, and one about no case owned by a team
    now = clock.now()
    owner = AgentFactory(teams=[team], name="<i>Owner</i>")
    first, second, _third = list(Case.objects.order_by("id"))

    def promise(**fields: object) -> Promise:
        defaults: dict[str, object] = {
            "kind": PromiseKind.FIRST_RESPONSE,
            "origin": PromiseOrigin.POLICY,
            "created_at": now - timedelta(hours=2),
            "remind_at": now - timedelta(hours=1),
        }
        return Promise.objects.create(**(defaults | fields))

    promise(case=first, due_at=now + timedelta(minutes=20), owner_agent=owner, owner_team=team)
    promise(
        case=second,
        due_at=now - timedelta(minutes=30),
        kind=PromiseKind.RESOLUTION,
        state=PromiseState.BROKEN,
        broken_at=now - timedelta(minutes=30),
        owner_team=team,
    )
    promise(case=None, due_at=now - timedelta(minutes=10), owner_team=team)
    admin = AgentFactory(role="admin")
    board = board_for(agent=admin, now=now)
    items = board.due_soon + board.overdue
    assert len(items) == 3

    # when
    with translation.override(language):
        expected = render(PROMISE_ROWS_AS_TEMPLATE, items=items)
        built = render("{% load lofte %}{% promise_rows items %}", items=items)

    # then
    assert cells(built) == cells(expected)
    assert "&lt;i&gt;Owner&lt;/i&gt;" in built and "Support &amp; &lt;Billing&gt;" in built
