"""What a write in a lower app tells the scheduling app, which sits above every other and so cannot be imported.

``cohort.services.meeting_inputs_change`` sends both, inside the write's transaction; scheduling connects its
receivers in its app config. A receiver that fails rolls the write back: a change never lands without its meetings
and reminders following it.
"""

from __future__ import annotations

from django.dispatch import Signal

# Rows that shape published meetings were saved or deleted (a blackout, a mentorship, a scholar's cohort, a phase,
# a cadence ...). Sent once per write. kwargs: ``cohorts``, every Cohort the write touched, before and after it;
# ``changes``, the write's rows as the audit trail records them (``cohort.services.RowChange``).
meeting_inputs_changed = Signal()

# A mentor's or scholar's own row changed. kwargs: ``person`` (the saved Mentor or Scholar) and ``fields`` (the
# names of the fields that changed); the receiver decides which of them its reminders depend on.
person_settings_changed = Signal()

# Rows of ``sender`` (a model, or a many-to-many through model) were written by bulk_create, bulk_update or
# update(), which send no model signal: whatever follows a model's writes (the feeds' stamps) follows these too.
rows_written_in_bulk = Signal()

# The times a person's own calendar says they are busy changed (read anew, or a calendar removed). kwargs:
# ``person`` (the Mentor or Scholar). Published meetings are never moved for it; scheduling flags those that clash.
busy_times_changed = Signal()
