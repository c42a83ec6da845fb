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
from django.db import transaction

from cohort.cadence import Cadence, MeetingDemand, MeetingKind
from cohort.dates import monday_of
from cohort.models import Break, Cohort, Phase, Stream
from mentors.models import Availability, Mentor
from scholars.models import Mentorship, Scholar, Team

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


@dataclass(frozen=True)
class DemoSummary:
    cohort: Cohort
    mentors: int
    scholars: int
    admin_username: str
    admin_password: str | None  # None when the login already existed and keeps its password
    password_file: Path


def demo_dates(today: dt.date) -> tuple[dt.date, dt.date]:
    """Twelve weeks from this week's Monday, ending on a Friday, so the demo always has meetings ahead."""
    start = monday_of(today)
    return start, start + dt.timedelta(weeks=12, days=-3)


@transaction.atomic
def demo_cohort_build(*, today: dt.date) -> DemoSummary:
    streams = list(Stream.objects.all())
    mentors = list(Mentor.objects.filter(streams__in=streams).distinct().order_by("slug"))
    if not mentors:
        raise ValueError("No mentors yet: run `manage.py import_seeds` first.")

    start, end = demo_dates(today)
    cohort, created = Cohort.objects.get_or_create(
        slug=DEMO_SLUG,
        defaults={
            "name": "Demo cohort",
            "start_date": start,
            "end_date": end,
            "time_zone": "Europe/London",
            "default_cadence": DEFAULT_CADENCE.to_dict(),
        },
    )
    cohort.streams.add(*streams)
    if created:
        _add_calendar(cohort)

    for index, mentor in enumerate(mentors):
        _prepare_mentor(mentor, MENTOR_ZONES[index % len(MENTOR_ZONES)])
        mentor.refresh_from_db(fields=["time_zone"])

    scholars = _add_sample_scholars(cohort, mentors)
    username, password = _ensure_admin()
    return DemoSummary(
        cohort=cohort,
        mentors=len(mentors),
        scholars=len(scholars),
        admin_username=username,
        admin_password=password,
        password_file=_password_file(),
    )


def _add_calendar(cohort: Cohort) -> None:
    training_end = cohort.start_date + dt.timedelta(weeks=3, days=-3)
    Phase.objects.create(
        cohort=cohort,
        name="Training",
        kind=Phase.Kind.TRAINING,
        start_date=cohort.start_date,
        end_date=training_end,
    )
    Phase.objects.create(
        cohort=cohort,
        name="Research",
        kind=Phase.Kind.RESEARCH,
        start_date=training_end + dt.timedelta(days=3),
        end_date=cohort.end_date,
    )
    break_start = cohort.start_date + dt.timedelta(weeks=6)
    Break.objects.create(
        cohort=cohort,
        name="Mid-cohort break",
        start_date=break_start,
        end_date=break_start + dt.timedelta(days=4),
    )


def _prepare_mentor(mentor: Mentor, zone: str) -> None:
    """Give an imported mentor what the document cannot: a zone, an address and working hours, unless set."""
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
        Availability.objects.bulk_create(
            Availability(mentor=mentor, weekday=day, start_time=dt.time(9, 0), end_time=dt.time(17, 0))
            for day in range(5)
        )


def _add_sample_scholars(cohort: Cohort, mentors: list[Mentor]) -> list[Scholar]:
    scholars = []
    for mentor_index, mentor in enumerate(mentors):
        stream = mentor.streams.order_by("slug").first()
        mine = []
        for offset in range(SCHOLARS_PER_MENTOR):
            number = mentor_index * SCHOLARS_PER_MENTOR + offset + 1
            scholar, _ = Scholar.objects.get_or_create(
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
            Mentorship.objects.get_or_create(
                mentor=mentor, scholar=scholar, defaults={"role": Mentorship.Role.PRIMARY}
            )
            mine.append(scholar)
        team, _ = Team.objects.get_or_create(
            cohort=cohort, name=f"Team {mentor.name}", defaults={"mentor": mentor}
        )
        team.members.add(*mine)
        scholars.extend(mine)
    # One co-mentorship, so the demo shows a scholar with two mentors and no double-booking.
    if len(mentors) > 1 and scholars:
        Mentorship.objects.get_or_create(
            mentor=mentors[1], scholar=scholars[0], defaults={"role": Mentorship.Role.CO_MENTOR}
        )
    return scholars


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
