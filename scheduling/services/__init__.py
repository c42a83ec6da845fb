"""Writes of the scheduling app, one module per job: planning, materialising series, editing single meetings.

Every function that changes meetings calls ``sync_meeting_notifications`` inside the same transaction, so
reminders never disagree with the meetings they are about.
Meetings are never deleted once written: a re-plan or a leaver cancels them (status cancelled, version bumped),
so their notifications are superseded or become cancellation notices and the delivery log survives.
"""
