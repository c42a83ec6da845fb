"""Feedback after a meeting: the signed link mailed to each attendee, and the one rating (with a note) they give.

A link carries the meeting and the person, signed with the project's secret; it works until FEEDBACK_WINDOW after
the meeting ends, needs no sign-in, and works once: the first rating is kept and the link then says so.
"""

from __future__ import annotations

import datetime as dt

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from cohort.models import Person
from mentors.models import Mentor
from scheduling.models import Meeting, MeetingFeedback
from scholars.models import Scholar

# How long after a meeting ends its attendees may rate it (by the mailed link or on their page).
FEEDBACK_WINDOW = dt.timedelta(days=14)
# A meeting's feedback request goes out this long after it ends: time to leave the call.
FEEDBACK_DELAY = dt.timedelta(minutes=10)
RATEABLE_STATUSES = (Meeting.Status.SCHEDULED, Meeting.Status.MOVED, Meeting.Status.HELD)
_SALT = "cohortops.meeting-feedback"


class FeedbackLinkInvalid(Exception):
    """A feedback link that was tampered with, or has run out; the message says which, for the person."""


def feedback_token(meeting: Meeting, person: Person) -> str:
    role = "mentor" if isinstance(person, Mentor) else "scholar"
    return signing.dumps({"meeting": meeting.pk, role: person.pk}, salt=_SALT, compress=True)


def feedback_link_open(token: str) -> tuple[Meeting, Person]:
    """The meeting and the person a link was made for. It runs out with the meeting's window
    (``why_not_rateable``), not with its own age: a link mailed late still gives the whole window."""
    try:
        data = signing.loads(token, salt=_SALT)
    except signing.BadSignature as error:
        raise FeedbackLinkInvalid(
            "This link is not one cohortops made: check it was copied whole."
        ) from error
    meeting = Meeting.objects.select_related("series__mentor").filter(pk=data.get("meeting")).first()
    if "mentor" in data:
        person = Mentor.objects.filter(pk=data["mentor"]).first()
    else:
        person = Scholar.objects.filter(pk=data.get("scholar")).first()
    if meeting is None or person is None:
        raise FeedbackLinkInvalid("The meeting this link was for is no longer in cohortops.")
    return meeting, person


def attends(meeting: Meeting, person: Person) -> bool:
    series = meeting.series
    if isinstance(person, Mentor):
        return series.mentor_id == person.pk
    return series.scholars.filter(pk=person.pk).exists()


def feedback_given(meeting: Meeting, person: Person) -> MeetingFeedback | None:
    return MeetingFeedback.objects.filter(meeting=meeting, **_person_field(person)).first()


def why_not_rateable(meeting: Meeting, person: Person, *, now: dt.datetime) -> str | None:
    """Why ``person`` cannot rate ``meeting`` now, in a sentence for them, or None."""
    if not attends(meeting, person):
        return "You were not at this meeting."
    if meeting.status not in RATEABLE_STATUSES:
        return f"This meeting was {meeting.get_status_display().lower()}: there is nothing to rate."
    if meeting.ends_at > now:
        return "This meeting has not ended yet: rate it once it has."
    if now > meeting.ends_at + FEEDBACK_WINDOW:
        return f"Meetings can be rated for {FEEDBACK_WINDOW.days} days after they end; this one is past that."
    return None


@transaction.atomic
def meeting_feedback_give(
    *, meeting: Meeting, person: Person, rating: int, note: str = "", now: dt.datetime | None = None
) -> MeetingFeedback:
    """Record ``person``'s rating of ``meeting`` (once). Raises ValidationError by field when it cannot be."""
    reason = why_not_rateable(meeting, person, now=now or timezone.now())
    if reason:
        raise ValidationError({"meeting": reason})
    if rating not in MeetingFeedback.Rating.values:
        raise ValidationError({"rating": f"Choose a rating from 1 to {max(MeetingFeedback.Rating.values)}."})
    feedback = MeetingFeedback(meeting=meeting, rating=rating, note=note.strip(), **_person_field(person))
    feedback.full_clean(exclude=["meeting", "mentor", "scholar"])
    try:
        with transaction.atomic():
            feedback.save()
    except IntegrityError as error:
        raise ValidationError({"meeting": "You rated this meeting already; thank you."}) from error
    return feedback


def meetings_to_rate(person: Person, *, now: dt.datetime) -> QuerySet[Meeting]:
    """The person's meetings that ended within FEEDBACK_WINDOW and that they have not rated, latest first."""
    meetings = Meeting.objects.filter(
        status__in=RATEABLE_STATUSES, ends_at__lte=now, ends_at__gt=now - FEEDBACK_WINDOW
    )
    if isinstance(person, Mentor):
        meetings = meetings.filter(series__mentor=person)
    else:
        meetings = meetings.filter(series__scholars=person)
    rated = MeetingFeedback.objects.filter(meeting=OuterRef("pk"), **_person_field(person))
    return meetings.filter(~Exists(rated)).select_related("series").order_by("-starts_at", "-pk")


def _person_field(person: Person) -> dict:
    return {"mentor": person} if isinstance(person, Mentor) else {"scholar": person}
