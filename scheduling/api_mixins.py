"""What API writes share across apps: rows whose change must reach the published meetings at once."""

from __future__ import annotations

from django.db import transaction

from cohort.models import Cohort
from scheduling.services.materialise import calendar_inputs_changed, person_cohorts


class CalendarInputsViewSetMixin:
    """For blackouts, mentorships and scholars: creating, changing or deleting one re-materialises the meetings of
    the cohorts it touches, in the same transaction, so feeds and reminders follow without a re-plan.

    A change counts the cohorts from before the save as well as after: a row moved to another person or cohort
    takes meetings away from the old cohort as much as it gives them to the new one.
    """

    # The fields whose change reaches the meetings; None: every change does.
    calendar_fields: frozenset[str] | None = None

    def calendar_person(self, instance):
        raise NotImplementedError

    def calendar_cohorts(self, instance) -> list[Cohort]:
        return list(person_cohorts(self.calendar_person(instance)))

    def perform_create(self, serializer) -> None:
        with transaction.atomic():
            super().perform_create(serializer)
            calendar_inputs_changed(cohorts=self.calendar_cohorts(serializer.instance))

    def perform_update(self, serializer) -> None:
        fields = self.calendar_fields
        changed = fields is None or bool(fields.intersection(serializer.validated_data))
        with transaction.atomic():
            before = self.calendar_cohorts(serializer.instance) if changed else []
            super().perform_update(serializer)
            if changed:
                after = self.calendar_cohorts(serializer.instance)
                calendar_inputs_changed(cohorts={cohort.pk: cohort for cohort in [*before, *after]}.values())

    def perform_destroy(self, instance) -> None:
        cohorts = self.calendar_cohorts(instance)
        with transaction.atomic():
            super().perform_destroy(instance)
            calendar_inputs_changed(cohorts=cohorts)
