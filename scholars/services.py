"""Writes for scholars: submitting a weekly check-in."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from scholars.models import CheckIn, Scholar

MAX_FIELD_CHARS = 5000
# A prompt can come on the Sunday before a Monday meeting, so next week's check-in may be written a week early.
WEEKS_AHEAD_ALLOWED = 1


def check_in_submit(
    *, scholar: Scholar, week_start: dt.date, progress: str, blockers: str = "", next_steps: str = ""
) -> CheckIn:
    """Write the scholar's check-in for the week starting ``week_start``; submitting the same week again edits it.

    Raises ValidationError (by field) for a week that does not start on a Monday, lies outside the scholar's
    cohort or too far ahead, an empty progress, overlong text, or a scholar who has left.
    """
    texts = {"progress": progress.strip(), "blockers": blockers.strip(), "next_steps": next_steps.strip()}
    errors: dict[str, str] = {}
    if not scholar.is_active:
        errors["scholar"] = (
            f"{scholar.name} is {scholar.get_status_display().lower()} and writes no check-ins."
        )
    if week_start.weekday() != 0:
        errors["week_start"] = (
            f"{week_start.isoformat()} is a {week_start:%A}; a check-in's week starts on a Monday."
        )
    else:
        cohort = scholar.cohort
        this_monday = _this_monday(scholar)
        if not (cohort.start_date - dt.timedelta(days=6) <= week_start <= cohort.end_date):
            errors["week_start"] = (
                f"The week of {week_start.isoformat()} is outside {cohort.name} "
                f"({cohort.start_date.isoformat()} to {cohort.end_date.isoformat()})."
            )
        elif week_start > this_monday + dt.timedelta(weeks=WEEKS_AHEAD_ALLOWED):
            errors["week_start"] = (
                f"The week of {week_start.isoformat()} has not begun; write it nearer the time."
            )
    if not texts["progress"]:
        errors["progress"] = "Say what you did this week; progress cannot be empty."
    for name, text in texts.items():
        if len(text) > MAX_FIELD_CHARS:
            errors[name] = f"At most {MAX_FIELD_CHARS} characters (this has {len(text)})."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        check_in, _ = CheckIn.objects.update_or_create(scholar=scholar, week_start=week_start, defaults=texts)
    return check_in


def _this_monday(scholar: Scholar) -> dt.date:
    today = timezone.now().astimezone(ZoneInfo(scholar.time_zone)).date()
    return today - dt.timedelta(days=today.weekday())
