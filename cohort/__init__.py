"""Cohorts, phases, breaks and streams; also, for now, the project package (settings, URLs, the Celery app).

Nothing is imported here, so the pure modules of this package (stream documents, time zones) load without
Django or Celery; Django loads the Celery app when the app registry is ready (``CohortConfig.ready``).
"""
