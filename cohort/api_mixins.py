"""What API views of every app share when they write rows that shape meetings."""

from __future__ import annotations

from cohort.services import meeting_inputs_change


# For a view set of ``MeetingInput`` rows (blackouts, availability, mentorships, scholars, teams, mentors,
# cohorts): creating, changing or deleting one goes through the one write service, so every cohort it touches,
# before and after (a row moved to another person or cohort), follows at once, and the caller is audited.
# (A comment, not a docstring: the API docs would show a docstring on every view set that lacks its own.)
class MeetingInputsViewSetMixin:
    def perform_create(self, serializer) -> None:
        with meeting_inputs_change(by=self.request.user) as writes:
            super().perform_create(serializer)
            writes.after_write(serializer.instance)

    def perform_update(self, serializer) -> None:
        with meeting_inputs_change(by=self.request.user) as writes:
            writes.before_write(serializer.instance)
            super().perform_update(serializer)
            writes.after_write(serializer.instance)

    def perform_destroy(self, instance) -> None:
        with meeting_inputs_change(by=self.request.user) as writes:
            writes.delete(instance)
