"""How scheduling answers the lower apps' writes (see ``cohort.signals``): meetings and reminders follow at once."""

from __future__ import annotations

from collections.abc import Sequence

from cohort.models import Cohort, Person
from scheduling.notifications.reminders import NOTIFICATION_FIELDS, person_notifications_resync
from scheduling.services.materialise import cohorts_meetings_refresh


def meetings_follow_inputs(sender: type, *, cohorts: Sequence[Cohort], **signal_kwargs) -> None:
    """A write reshaped these cohorts' meetings (a blackout, a mentorship, a cohort's dates ...): re-materialise
    what is published, moving no slot."""
    cohorts_meetings_refresh(cohorts=cohorts)


def reminders_follow_person(sender: type, *, person: Person, fields: Sequence[str], **signal_kwargs) -> None:
    """A mentor's or scholar's row changed: if their zone, address or reminder settings did, rewrite what is
    pending."""
    if NOTIFICATION_FIELDS.intersection(fields):
        person_notifications_resync(person=person)
