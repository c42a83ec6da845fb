"""Reads for the cohort app, and who a signed-in user is: staff, a mentor or a scholar.

Every API queryset is narrowed by a ``*_for(user)`` selector of its own app, so lists and details agree. Staff see
everything. A mentor's login is also ``is_staff`` (the admin needs it to let them in), so "staff" here means
``is_staff_role``: an admin user who is not a mentor (or a superuser). A mentor sees their streams' mentors, their
own scholars and their own meetings; a scholar their own meetings, mentors, team and check-ins. Anything outside
that is simply not in the queryset, so asking for it by id is a 404, never somebody else's data.

The mentor and scholar rows are reached through the user's reverse one-to-one links (``user.mentor``,
``user.scholar``), so this, the lowest app, needs no import of the apps that define them.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Model, QuerySet

from cohort.models import Cohort, Stream


def _profile(user, name: str) -> Model | None:
    """The user's mentor or scholar row, looked up once per request: Django does not cache a missing one."""
    if not user.is_authenticated:
        return None
    memo = f"_cohortops_{name}"
    if not hasattr(user, memo):
        setattr(user, memo, getattr(user, name, None))
    return getattr(user, memo)


def mentor_of(user) -> Model | None:
    return _profile(user, "mentor")


def scholar_of(user) -> Model | None:
    return _profile(user, "scholar")


def owner_of(user, owner_fields: Sequence[str]) -> tuple[str, Model] | None:
    """The caller as the person a row of theirs names (``owner_fields``: "mentor", "scholar" or both): the field
    and the person, or None when they are neither kind."""
    for field in ("mentor", "scholar"):
        person = _profile(user, field) if field in owner_fields else None
        if person is not None:
            return field, person
    return None


def reader_of(user) -> tuple[str, int | None]:
    """What kind of reader ``user`` is, and as whom: staff read every row ("staff", None), a mentor and a scholar
    what is theirs ("mentor" or "scholar", the person's id; a login that is both reads as the mentor), anyone else
    nothing ("nobody", None). The selectors' ``*_read_by(reader, person)`` take it, ``person`` being the id or a
    ``Slot`` of it (``cohort.prepared``), for a statement compiled once per kind of reader."""
    if is_staff_role(user):
        return "staff", None
    owner = owner_of(user, ("mentor", "scholar"))
    return ("nobody", None) if owner is None else (owner[0], owner[1].pk)


# The group a mentor's login is in: what it may do in the admin (``mentors.services.MENTOR_PERMISSIONS``).
MENTORS_GROUP = "Mentors"


def has_only_mentor_rights(user) -> bool:
    """A login that can do no more than a mentor: not a superuser, in no group but the mentors', with no
    permission granted to it alone. Anything more is a staff account, whatever else it is."""
    return bool(
        not user.is_superuser
        and not user.user_permissions.exists()
        and not user.groups.exclude(name=MENTORS_GROUP).exists()
    )


def is_staff_role(user) -> bool:
    """Staff run the cohort: active admin users who are not narrowed to one mentor's rows."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and (user.is_superuser or mentor_of(user) is None)
    )


def cohorts_for(user) -> QuerySet[Cohort]:
    if is_staff_role(user):
        return Cohort.objects.all()
    mentor, scholar = mentor_of(user), scholar_of(user)
    if mentor:
        return Cohort.objects.filter(scholars__mentorships__mentor=mentor).distinct()
    if scholar:
        return Cohort.objects.filter(pk=scholar.cohort_id)
    return Cohort.objects.none()


def streams_for(user) -> QuerySet[Stream]:
    return Stream.objects.all()
