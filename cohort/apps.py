from django.apps import AppConfig


class CohortConfig(AppConfig):
    name = "cohort"
    verbose_name = "Cohorts and streams"

    def ready(self) -> None:
        from cohort import checks, schema  # noqa: F401  (registers the system checks and schema extensions)
