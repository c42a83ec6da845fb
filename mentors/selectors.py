"""Reads for the mentors app, narrowed to what each user may see (see cohort.selectors for the roles)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from cohort.models import Stream
from cohort.selectors import is_staff_role, mentor_of, reader_of
from mentors.models import Availability, ImportWarning, Mentor, StreamImportJob


def mentors_for(user) -> QuerySet[Mentor]:
    return mentors_read_by(*reader_of(user))


def mentors_read_by(reader: str, person: object) -> QuerySet[Mentor]:
    """The mentors a kind of reader sees (``reader_of``): a mentor their streams' mentors and themselves, a scholar
    their own mentors. ``person`` is the person's id or a ``Slot`` of it."""
    if reader == "staff":
        return Mentor.objects.all()
    if person is None:  # a mentor or a scholar reads as someone, never as nobody in particular
        return Mentor.objects.none()
    if reader == "mentor":
        their_streams = Stream.objects.filter(mentors=person).values("pk")
        return Mentor.objects.filter(Q(streams__in=their_streams) | Q(pk=person)).distinct()
    if reader == "scholar":
        return Mentor.objects.filter(mentorships__scholar=person).distinct()
    return Mentor.objects.none()


def availability_for(user) -> QuerySet[Availability]:
    if is_staff_role(user):
        return Availability.objects.all()
    mentor = mentor_of(user)
    return Availability.objects.filter(mentor=mentor) if mentor else Availability.objects.none()


def import_warnings_for(user) -> QuerySet[ImportWarning]:
    """The importer's notes ("check it was not copied") are for staff, not for the mentors they are about."""
    return ImportWarning.objects.all() if is_staff_role(user) else ImportWarning.objects.none()


def stream_import_jobs_for(user) -> QuerySet[StreamImportJob]:
    """Staff read every import job; anyone else only the ones they uploaded."""
    if is_staff_role(user):
        return StreamImportJob.objects.all()
    if not user.is_authenticated:
        return StreamImportJob.objects.none()
    return StreamImportJob.objects.filter(requested_by=user)
