"""The demo cohort: real imported mentors, clearly-labelled sample scholars, dates relative to today.

Nothing here names a seed mentor: whatever streams and mentors the importer created get a cohort around them.
Re-running updates the same rows; it never duplicates and never overwrites what staff changed by hand.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

from cohort.cadence import Cadence, MeetingDemand, MeetingKind
from cohort.dates import monday_of
from cohort.models import Break, Cohort, Phase, Stream
from cohort.services import MeetingInputsChange, meeting_inputs_change
from mentors.models import Availability, Mentor
from scholars.calendar_sources import calendar_source_add, calendar_source_read, calendar_source_set_url
from scholars.models import CalendarSource, Mentorship, Scholar, Team
from scholars.services import cohort_logins_invite

DEMO_SLUG = "demo"
# Spread over three zones whose clocks change on different dates, so the demo shows the planner at work.
MENTOR_ZONES = ("Europe/London", "America/New_York", "America/Los_Angeles")
# Each mentor's second sample scholar works in a neighbouring zone whose working day overlaps the mentor's.
NEIGHBOUR_ZONE = {
    "Europe/London": "Europe/Berlin",
    "America/New_York": "Europe/London",
    "America/Los_Angeles": "America/New_York",
}
SCHOLARS_PER_MENTOR = 2
DEFAULT_CADENCE = Cadence(
    demands=(
        MeetingDemand(
            kind=MeetingKind.ONE_ON_ONE,
            per_week_min=1,
            per_week_max=1,
            duration_minutes=60,
            source="Cohort default: a weekly 1-on-1 of an hour.",
        ),
    ),
    sources=("Cohort default: a weekly 1-on-1 of an hour.",),
)
ADMIN_USERNAME = "admin"
DEMO_CALENDAR_LABEL = "Research group (demo)"


@dataclass(frozen=True)
class DemoSummary:
    cohort: Cohort
    mentors: int
    scholars: int
    admin_username: str
    admin_password: str | None  # None when the login already existed and keeps its password
    password_file: Path
    # Whose address to type at /sign-in/ to see cohortops as a scholar and as a mentor.
    scholar_email: str
    mentor_email: str


# The demo cohort began this many weeks before the week it is set up in: its past (``scheduling.demo``) gives pair
# health and the week's chart something to show. Even, so an every-other-week slot keeps its weeks in the past.
HISTORY_WEEKS = 4


def demo_dates(today: dt.date) -> tuple[dt.date, dt.date]:
    """From HISTORY_WEEKS weeks before this week's Monday to twelve weeks after it, ending on a Friday, so the demo
    always has weeks behind it and meetings ahead."""
    this_monday = monday_of(today)
    return this_monday - dt.timedelta(weeks=HISTORY_WEEKS), this_monday + dt.timedelta(weeks=12, days=-3)


def demo_cohort_build(*, today: dt.date) -> DemoSummary:
    """Build (or bring up to date) the demo cohort. Its rows shape meetings, so they are written like any other:
    through the one write service, audited as the system's, with published meetings following a re-run."""
    streams = list(Stream.objects.all())
    mentors = list(Mentor.objects.filter(streams__in=streams).distinct().order_by("slug"))
    if not mentors:
        raise ValueError("No mentors yet: run `manage.py import_seeds` first.")

    with meeting_inputs_change(by=None) as writes:
        start, end = demo_dates(today)
        cohort = Cohort.objects.filter(slug=DEMO_SLUG).first()
        if cohort is None:
            cohort = Cohort.objects.create(
                slug=DEMO_SLUG,
                name="Demo cohort",
                start_date=start,
                end_date=end,
                time_zone="Europe/London",
                default_cadence=DEFAULT_CADENCE.to_dict(),
            )
            writes.after_write(cohort)
            _add_calendar(cohort, writes)
        else:
            writes.before_write(cohort)
        cohort.streams.add(*streams)

        for index, mentor in enumerate(mentors):
            _prepare_mentor(mentor, MENTOR_ZONES[index % len(MENTOR_ZONES)], writes)

        scholars = _add_sample_scholars(cohort, mentors, writes)
        username, password = _ensure_admin()
    # Every sample scholar and mentor can sign in by a mailed link; nobody is mailed an invitation.
    cohort_logins_invite(cohort=cohort, invite=False)
    return DemoSummary(
        cohort=cohort,
        mentors=len(mentors),
        scholars=len(scholars),
        admin_username=username,
        admin_password=password,
        password_file=_password_file(),
        scholar_email=scholars[0].email,
        mentor_email=mentors[0].email,
    )


def _add_calendar(cohort: Cohort, writes: MeetingInputsChange) -> None:
    training_end = cohort.start_date + dt.timedelta(weeks=3, days=-3)
    break_start = cohort.start_date + dt.timedelta(weeks=6)
    for row in (
        Phase(
            cohort=cohort,
            name="Training",
            kind=Phase.Kind.TRAINING,
            start_date=cohort.start_date,
            end_date=training_end,
        ),
        Phase(
            cohort=cohort,
            name="Research",
            kind=Phase.Kind.RESEARCH,
            start_date=training_end + dt.timedelta(days=3),
            end_date=cohort.end_date,
        ),
        Break(
            cohort=cohort,
            name="Mid-cohort break",
            start_date=break_start,
            end_date=break_start + dt.timedelta(days=4),
        ),
    ):
        row.save()
        writes.after_write(row)


def _prepare_mentor(mentor: Mentor, zone: str, writes: MeetingInputsChange) -> None:
    """Give an imported mentor what the document cannot: a zone, an address and working hours, unless set."""
    writes.before_write(mentor)
    changed = []
    if mentor.time_zone == "UTC":
        mentor.time_zone = zone
        changed.append("time_zone")
    if not mentor.email:
        mentor.email = f"{mentor.slug}@mentors.example.org"
        changed.append("email")
    if changed:
        mentor.save(update_fields=[*changed, "updated_at"])
    if not mentor.availability.exists():
        for day in range(5):
            window = Availability.objects.create(
                mentor=mentor, weekday=day, start_time=dt.time(9, 0), end_time=dt.time(17, 0)
            )
            writes.after_write(window)


def _add_sample_scholars(cohort: Cohort, mentors: list[Mentor], writes: MeetingInputsChange) -> list[Scholar]:
    scholars = []
    for mentor_index, mentor in enumerate(mentors):
        stream = mentor.streams.order_by("slug").first()
        mine = []
        for offset in range(SCHOLARS_PER_MENTOR):
            number = mentor_index * SCHOLARS_PER_MENTOR + offset + 1
            scholar, created = Scholar.objects.get_or_create(
                cohort=cohort,
                slug=f"sample-scholar-{number:02d}",
                defaults={
                    "name": f"Sample Scholar {number:02d}",
                    "email": f"sample-scholar-{number:02d}@scholars.example.org",
                    "stream": stream,
                    "status": Scholar.Status.RESEARCH,
                    "time_zone": NEIGHBOUR_ZONE.get(mentor.time_zone, mentor.time_zone)
                    if offset
                    else mentor.time_zone,
                    "is_sample": True,
                },
            )
            if created:
                writes.after_write(scholar)
            _ensure_mentorship(mentor, scholar, Mentorship.Role.PRIMARY, writes)
            mine.append(scholar)
        team, created = Team.objects.get_or_create(
            cohort=cohort, name=f"Team {mentor.name}", defaults={"mentor": mentor}
        )
        if created:
            writes.after_write(team)
        else:
            writes.before_write(team)  # its members may grow
        team.members.add(*mine)
        scholars.extend(mine)
    # One co-mentorship, so the demo shows a scholar with two mentors and no double-booking.
    if len(mentors) > 1 and scholars:
        _ensure_mentorship(mentors[1], scholars[0], Mentorship.Role.CO_MENTOR, writes)
    return scholars


def _ensure_mentorship(mentor: Mentor, scholar: Scholar, role: str, writes: MeetingInputsChange) -> None:
    mentorship, created = Mentorship.objects.get_or_create(
        mentor=mentor, scholar=scholar, defaults={"role": role}
    )
    if created:
        writes.after_write(mentorship)


def _password_file() -> Path:
    return settings.VAR_DIR / "demo-admin-password.txt"


def _ensure_admin() -> tuple[str, str | None]:
    user_model = get_user_model()
    if user_model.objects.filter(username=ADMIN_USERNAME).exists():
        return ADMIN_USERNAME, None
    password = secrets.token_urlsafe(12)
    user_model.objects.create_superuser(ADMIN_USERNAME, "admin@cohortops.example.org", password)
    path = _password_file()
    path.write_text(password + "\n")
    path.chmod(0o600)
    return ADMIN_USERNAME, password


def demo_calendar_attach(*, url: str, now: dt.datetime) -> CalendarSource:
    """Give the demo cohort's first mentor their own calendar at ``url`` (a file the demo serves on this machine)
    and read it now, through the same fetch as any other, so the plan that follows works around it."""
    cohort = Cohort.objects.get(slug=DEMO_SLUG)
    mentor = Mentor.objects.filter(mentorships__scholar__cohort=cohort).distinct().order_by("slug").first()
    if mentor is None:
        raise ValueError("The demo cohort has no mentor yet: run `manage.py demo_cohort` first.")
    source = mentor.calendar_sources.filter(label=DEMO_CALENDAR_LABEL).first()
    if source is None:
        source = calendar_source_add(owner=mentor, url=url, label=DEMO_CALENDAR_LABEL)
    else:
        # Each demo serves the file on a port of its own.
        calendar_source_set_url(source, url)
        source.save()
    return calendar_source_read(source.pk, now=now)
