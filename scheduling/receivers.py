"""How scheduling answers writes: the lower apps' (see ``cohort.signals``), which meetings and reminders follow at
once, and any write to a row a feed or a cached API answer shows, which the read generation follows."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db.models import Model
from django.utils import timezone
from rest_framework.authtoken.models import Token, TokenProxy

from cohort.generation import rows_changed
from cohort.models import AuditEntry, Break, Cohort, Person, Phase, ProgramEvent, Stream
from cohort.services import RowChange
from mentors.models import Mentor
from scheduling.models import FeedToken, Meeting, MeetingSeries
from scheduling.notifications.clashes import person_clashes_refresh
from scheduling.notifications.reminders import NOTIFICATION_FIELDS, person_notifications_resync
from scheduling.notifications.webhooks import mentorship_changes_write
from scheduling.services.materialise import cohorts_meetings_refresh
from scheduling.services.meeting_edits import mentor_place_followed
from scholars.models import Mentorship, Scholar, Team


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


def generation_sources() -> list[type[Model]]:
    """Every model whose rows a feed or a cached API answer shows, or that decides who may read one (through
    tables included): ``scheduling.apps`` connects their signals to ``cached_reads_follow_writes``."""
    user = get_user_model()
    return [
        Meeting,
        MeetingSeries,
        MeetingSeries.scholars.through,
        Mentor,
        Mentor.streams.through,
        Scholar,
        Team,
        Team.members.through,
        Mentorship,
        Stream,
        Cohort,
        Phase,
        Break,
        ProgramEvent,
        FeedToken,
        # An API token's login is kept under the generation (``cohort.authentication``). The admin saves tokens
        # through DRF's proxy model, whose save signals name the proxy (its deletes go through the token model).
        Token,
        TokenProxy,
        user,
        user.groups.through,
    ]


# Saves that change nothing a cached read shows nor who may read it: a sign-in stamps the login's last_login.
UNSHOWN_FIELDS = frozenset({"last_login"})


def cached_reads_follow_writes(
    sender: type, *, update_fields: frozenset[str] | None = None, action: str = "", **signal_kwargs
) -> None:
    """A row a feed or a cached API answer shows, or one deciding who may read them, was saved, deleted or linked
    (post_save, post_delete, m2m_changed): nothing cached from the rows answers any more."""
    if update_fields is not None and update_fields <= UNSHOWN_FIELDS:
        return
    # m2m_changed comes before and after each change; after is enough.
    if action and not action.startswith("post_"):
        return
    rows_changed()
