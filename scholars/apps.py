from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from django.apps import AppConfig

from cohort.signals import person_settings_changed

if TYPE_CHECKING:
    from cohort.models import Person


class ScholarsConfig(AppConfig):
    name = "scholars"

    def ready(self) -> None:
        person_settings_changed.connect(calendars_follow_person, dispatch_uid="calendars_follow_person")


def calendars_follow_person(
    sender: type, *, person: Person, fields: Collection[str], **signal_kwargs
) -> None:
    """A person's zone places their floating and all-day events, their address tells which invitations they
    declined: when either changes, their calendars are read again in full at the next refresh."""
    if {"time_zone", "email"}.intersection(fields):
        from scholars.calendar_sources import calendar_sources_read_afresh

        calendar_sources_read_afresh(person)
