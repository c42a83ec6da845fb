"""Everything `run.py demo` does before it starts the processes, in one process: each `manage.py` start costs
seconds of imports, and a new user waits for all of them."""

from __future__ import annotations

import datetime as dt
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from cohort.models import Cohort
from scheduling.selectors import cohort_moments_ahead
from scholars.demo import DEMO_SLUG

STEPS: tuple[tuple[str, str, tuple[str, ...], dict[str, object]], ...] = (
    ("Migrating the database", "migrate", (), {"interactive": False, "verbosity": 0}),
    ("Importing the stream documents in seeds/", "import_seeds", (), {}),
    ("Building the demo cohort, its sample scholars and the admin login", "demo_cohort", (), {}),
    ("Reading a mentor's own calendar (served on this machine)", "demo_calendar", (), {}),
    ("Planning the demo cohort's meetings", "plan", (DEMO_SLUG,), {"apply": True}),
    ("Writing the demo cohort's past weeks (one pair behind) and its pair health", "demo_history", (), {}),
    ("Installing the beat schedule", "install_beat_schedule", (), {}),
    ("Collecting static files", "collectstatic", (), {"interactive": False, "verbosity": 0}),
)
LEEWAY = dt.timedelta(minutes=30)
BEFORE_THE_MEETING = dt.timedelta(minutes=5)  # every reminder of the meeting is due, and it has not started
SEND_DUE = ".venv/bin/python manage.py send_due_notifications --as-of"


class Command(BaseCommand):
    help = (
        "Set up the demo: migrate, import the seed streams, build and plan the demo cohort, install the beat "
        "schedule, collect static files; then print instants to fast-forward the demo's reminders to."
    )

    def handle(self, *args: object, **options: object) -> None:
        for title, name, positional, keywords in STEPS:
            self.stdout.write(f"\n==> {title}")
            started = time.perf_counter()
            call_command(name, *positional, stdout=self.stdout, stderr=self.stderr, **keywords)
            self.stdout.write(f"    ({time.perf_counter() - started:.1f} s)")
        self._print_moments_ahead()

    def _print_moments_ahead(self) -> None:
        # Far enough ahead that the instants printed are still ahead when someone pastes them.
        after = timezone.now() + LEEWAY
        moments = cohort_moments_ahead(cohort=Cohort.objects.get(slug=DEMO_SLUG), after=after)
        self.stdout.write("\n==> To see the demo's mail now rather than when it is due:")
        if moments.first_meeting:
            meeting = moments.first_meeting
            just_before = meeting.starts_at - BEFORE_THE_MEETING
            self.stdout.write(
                f"  the reminders of the first meeting ahead, {meeting.series.title} "
                f"({meeting.starts_at:%a %d %b %H:%M} UTC), five minutes before it starts:\n"
                f"    {SEND_DUE} {just_before.isoformat()}"
            )
        if moments.first_prompt_due:
            self.stdout.write(
                f"  the first check-in prompts ({moments.first_prompt_due:%a %d %b %H:%M} UTC):\n"
                f"    {SEND_DUE} {moments.first_prompt_due.isoformat()}"
            )
        if not (moments.first_meeting or moments.first_prompt_due):
            self.stdout.write("  nothing is due ahead: the demo cohort has no meeting or prompt left.")
