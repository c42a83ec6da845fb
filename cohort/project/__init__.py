"""The Django project: settings, URLs, the Celery app, WSGI and ASGI entry points.

It sits above every app: it imports them all (URLs, the API router) and no app imports it. Loading the settings
loads the Celery app, so ``@shared_task`` and ``.delay()`` use the project's broker in every Django process.
"""

from cohort.project.celery import app as celery_app

__all__ = ["celery_app"]
