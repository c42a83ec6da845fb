"""The Celery application. Workers: ``celery -A cohort worker``; one beat per deployment: ``celery -A cohort beat``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cohort.settings")

app = Celery("cohort")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
