"""The Celery application. Workers: ``celery -A cohort.project worker``; one beat per deployment: ``celery -A cohort.project beat``."""

import logging
import os

from celery import Celery, Task
from celery.signals import after_setup_logger, after_setup_task_logger, task_postrun, task_prerun
from django.db import close_old_connections

from cohort.logging import ScrubSecrets

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cohort.project.settings")

app = Celery("cohort")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def scrub_secrets_in_worker_logs(logger: logging.Logger, **kwargs) -> None:
    """Workers and beat replace the root logger's handlers (and give celery.task its own), dropping the filter
    settings.LOGGING puts on ours: every handler Celery makes scrubs secret URLs too."""
    for handler in logger.handlers:
        handler.addFilter(ScrubSecrets())


@task_prerun.connect
@task_postrun.connect
def close_old_database_connections(sender: Task, **kwargs) -> None:
    """Around each task, what Django does around each request: close a connection that is broken or older than
    CONN_MAX_AGE, keep the others (settings.CELERY_DB_REUSE_MAX stops Celery closing them all). An eager task runs
    inside its caller's transaction, whose connection is not ours to close."""
    if not getattr(sender.request, "is_eager", False):
        close_old_connections()
