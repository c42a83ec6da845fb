"""Install the Celery beat schedule (django-celery-beat's tables); safe to run on every deploy."""

from django.core.management.base import BaseCommand

from scheduling.tasks import setup_periodic_tasks


class Command(BaseCommand):
    help = "Install or update the periodic tasks Celery beat runs (the notification tick)."

    def handle(self, *args: object, **options: object) -> None:
        for task in setup_periodic_tasks():
            self.stdout.write(f"Scheduled {task}")
