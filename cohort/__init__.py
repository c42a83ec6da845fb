"""Cohorts, phases, breaks and streams, the cadence vocabulary and stream documents: the lowest app.

The Django project itself (settings, URLs, the Celery app) lives in ``cohort.project``, above every app.
"""
