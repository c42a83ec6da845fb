"""Notifications as rows: which reminders, notices, prompts, digests and escalations exist, and what they say.

Writing is set-based and idempotent: every writer computes the rows that *should* exist, creates the missing ones
with one ``bulk_create(ignore_conflicts=True)`` on the unique ``dedupe_key`` and supersedes pending rows that no
longer should, in a fixed number of queries whatever the number of meetings. Running one twice changes nothing.
``rows`` holds that machinery, ``reminders`` the rows meeting writes cause, ``oversight`` the digests and
escalations, ``messages`` what a row says; ``scheduling.dispatch`` sends them.

Dedupe keys name everything that makes a notification distinct, e.g.
``reminder:meeting=12:v=2:scholar=5:email:offset=15``: a moved meeting has a new version, hence new keys, and
the old version's keys can never be sent again.
"""
