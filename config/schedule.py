"""Every periodic job, in one place. `lofte worker` enqueues each as a django.tasks task."""

from __future__ import annotations

from datetime import timedelta

from lofte.cases.tasks import acknowledge_cases
from lofte.channels.tasks import poll_mailboxes
from lofte.channels.webhooks.tasks import prune_webhook_rejections
from lofte.complaints.tasks import run_temperature_checks
from lofte.core.scheduler import Job
from lofte.core.tasks import analyze_database, prune_task_results
from lofte.incidents.tasks import finish_maintenance
from lofte.kb.tasks import prune_search_log
from lofte.outbox.tasks import deliver_outbox
from lofte.portal.tasks import prune_portal_tokens
from lofte.promises.tasks import promise_tick
from lofte.routing.tasks import reroute_away_cases
from lofte.surveys.tasks import run_surveys
from lofte.triage.tasks import triage_start_models

JOBS: list[Job] = [
    # Deliveries are also woken right after each commit; this sweep picks up retries.
    Job(name="outbox.deliver", task=deliver_outbox, every=timedelta(seconds=15)),
    Job(name="promises.tick", task=promise_tick, every=timedelta(seconds=30)),
    Job(name="cases.acknowledge", task=acknowledge_cases, every=timedelta(seconds=15)),
    Job(name="email.poll", task=poll_mailboxes, every=timedelta(seconds=60)),
    Job(name="routing.reroute_away", task=reroute_away_cases, every=timedelta(seconds=60)),
    # "is the problem still solved?" N days after a complaint was solved
    Job(name="complaints.checks", task=run_temperature_checks, every=timedelta(seconds=60)),
    # scheduled maintenance past its end: resolved with the "completed" update
    Job(name="incidents.maintenance", task=finish_maintenance, every=timedelta(seconds=60)),
    # "how did we do?" after solving
    Job(name="surveys.run", task=run_surveys, every=timedelta(seconds=60)),
    # runs when a worker first starts, then hourly: SQLite's planner needs statistics
    Job(name="database.analyze", task=analyze_database, every=timedelta(hours=1)),
    Job(name="tasks.prune", task=prune_task_results, every=timedelta(hours=1)),
    Job(name="portal.prune", task=prune_portal_tokens, every=timedelta(hours=1)),
    Job(name="webhooks.prune", task=prune_webhook_rejections, every=timedelta(hours=1)),
    Job(name="kb.search_log_prune", task=prune_search_log, every=timedelta(hours=1)),
    # Lofte's starting models of complaints and status questions, trained when a worker first starts
    Job(name="triage.start_models", task=triage_start_models, every=timedelta(hours=1)),
]
