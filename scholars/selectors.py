"""Reads for the scholars app, narrowed to what each user may see (see cohort.selectors for the roles)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from cohort.selectors import is_staff_role, mentor_of, reader_of, scholar_of
from scholars.models import Blackout, CalendarSource, CheckIn, ExtraHours, Mentorship, Scholar, Team


def scholars_for(user) -> QuerySet[Scholar]:
    return scholars_read_by(*reader_of(user))


def scholars_read_by(reader: str, person: object) -> QuerySet[Scholar]:
    """The scholars a kind of reader sees (``reader_of``): a mentor their own, a scholar themselves. ``person`` is
    the person's id or a ``Slot`` of it."""
    if reader == "staff":
        return Scholar.objects.all()
    if person is None:  # a mentor or a scholar reads as someone, never as nobody in particular
        return Scholar.objects.none()
    if reader == "mentor":
        return Scholar.objects.filter(mentorships__mentor=person).distinct()
    if reader == "scholar":
        return Scholar.objects.filter(pk=person)
    return Scholar.objects.none()


def mentorships_for(user) -> QuerySet[Mentorship]:
    if is_staff_role(user):
        return Mentorship.objects.all()
    mentor, scholar = mentor_of(user), scholar_of(user)
    return Mentorship.objects.filter(
        Q(mentor=mentor) if mentor else Q(scholar=scholar) if scholar else Q(pk__in=[])
    )


def teams_for(user) -> QuerySet[Team]:
    return teams_read_by(*reader_of(user))


def teams_read_by(reader: str, person: object) -> QuerySet[Team]:
    """The teams a kind of reader sees (``reader_of``): a mentor those they lead, a scholar those they are in.
    ``person`` is the person's id or a ``Slot`` of it."""
    if reader == "staff":
        return Team.objects.all()
    if person is None:  # a mentor or a scholar reads as someone, never as nobody in particular
        return Team.objects.none()
    if reader == "mentor":
        return Team.objects.filter(mentor=person)
    if reader == "scholar":
        return Team.objects.filter(members=person)
    return Team.objects.none()


def check_ins_for(user) -> QuerySet[CheckIn]:
    """A check-in is read by its scholar, their mentors and staff: nobody else."""
    if is_staff_role(user):
        return CheckIn.objects.all()
    mentor, scholar = mentor_of(user), scholar_of(user)
    if mentor:
        return CheckIn.objects.filter(scholar__mentorships__mentor=mentor).distinct()
    if scholar:
        return CheckIn.objects.filter(scholar=scholar)
    return CheckIn.objects.none()


def blackouts_for(user) -> QuerySet[Blackout]:
    return _own_rows(Blackout, user)


def extra_hours_for(user) -> QuerySet[ExtraHours]:
    return _own_rows(ExtraHours, user)


def calendar_sources_for(user) -> QuerySet[CalendarSource]:
    return _own_rows(CalendarSource, user)


def _own_rows(model: type[Blackout | ExtraHours | CalendarSource], user) -> QuerySet:
    """Rows that are a mentor's or a scholar's: staff see everyone's; a mentor or a scholar only their own."""
    if is_staff_role(user):
        return model.objects.all()
    mentor, scholar = mentor_of(user), scholar_of(user)
    if mentor:
        return model.objects.filter(mentor=mentor)
    if scholar:
        return model.objects.filter(scholar=scholar)
    return model.objects.none()
