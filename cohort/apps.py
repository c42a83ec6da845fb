from django.apps import AppConfig


class CohortConfig(AppConfig):
    name = "cohort"
    verbose_name = "Cohorts and streams"

    def ready(self) -> None:
        # Registers the system checks and schema extensions, and makes the Celery app (with the project's broker)
        # the one @shared_task and .delay() use in every Django process.
        from cohort import celery, checks, schema  # noqa: F401
