"""The project's periodic jobs and the example capability's (what a new app's line in config/schedule.py does)."""

from datetime import timedelta

from config.schedule import JOBS as PROJECT
from lofte.core.scheduler import Job
from tests.example_capability.tasks import surveys_due

JOBS = [*PROJECT, Job(name="example.surveys", task=surveys_due, every=timedelta(hours=1))]
