"""How scheduling answers writes: the lower apps' (see ``cohort.signals``), which meetings and reminders follow at
once, and any write to a row a feed shows, which the feeds' stamps follow."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

from cohort.models import AuditEntry, Cohort, Person
from cohort.services import RowChange
from mentors.models import Mentor
from scheduling.feeds.generation import feeds_changed
from scheduling.notifications.clashes import person_clashes_refresh
from scheduling.notifications.reminders import NOTIFICATION_FIELDS, person_notifications_resync
from scheduling.notifications.webhooks import mentorship_changes_write
from scheduling.services.materialise import cohorts_meetings_refresh
from scheduling.services.meeting_edits import mentor_place_followed
from scholars.models import Mentorship, Scholar


def meetings_follow_inputs(sender: type, *, cohorts: Sequence[Cohort], **signal_kwargs) -> None:
    """A write reshaped these cohorts' meetings (a blackout, a mentorship, a cohort's dates ...): re-materialise
    what is published, moving no slot."""
    cohorts_meetings_refresh(cohorts=cohorts)


def integrations_hear_of_mentorships(
    sender: type, *, changes: Sequence[RowChange] = (), **signal_kwargs
) -> None:
    """Mentorships created or deleted by the write: the webhook endpoints listening hear of them."""
    ours = [change for change in changes if change.model is Mentorship]
    mentorship_changes_write(
        created=[change.pk for change in ours if change.action == AuditEntry.Action.CREATED],
        removed=[(change.pk, change.row) for change in ours if change.action == AuditEntry.Action.DELETED],
        at=timezone.now(),
    )


def reminders_follow_person(sender: type, *, person: Person, fields: Sequence[str], **signal_kwargs) -> None:
    """A mentor's or scholar's row changed: if their zone, address or reminder settings did, rewrite what is
    pending."""
    if NOTIFICATION_FIELDS.intersection(fields):
        person_notifications_resync(person=person)


def meetings_follow_mentor_place(
    sender: type, *, person: Person, fields: Sequence[str], **signal_kwargs
) -> None:
    """A mentor's own place changed: the meetings that take it show it, and their attendees are told."""
    if isinstance(person, Mentor) and "meeting_place" in fields:
        mentor_place_followed(mentor_id=person.pk)


def clashes_follow_busy_times(sender: type, *, person: Mentor | Scholar, **signal_kwargs) -> None:
    """A person's own calendar was read anew or removed: flag their meetings it now clashes with, and clear the
    clashes it no longer shows."""
    person_clashes_refresh(person=person)


# Saves that change nothing a feed shows nor who may read one: a sign-in stamps the login's last_login.
FEED_UNSHOWN_FIELDS = frozenset({"last_login"})


def feeds_follow_writes(
    sender: type, *, update_fields: frozenset[str] | None = None, action: str = "", **signal_kwargs
) -> None:
    """A row a feed shows, or one deciding who may read a feed, was saved, deleted or linked (post_save,
    post_delete, m2m_changed): every feed's stamp stops answering for it."""
    if update_fields is not None and update_fields <= FEED_UNSHOWN_FIELDS:
        return
    # m2m_changed comes before and after each change; after is enough.
    if action and not action.startswith("post_"):
        return
    feeds_changed()
