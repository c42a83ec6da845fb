from django.apps import AppConfig


class CohortConfig(AppConfig):
    name = "cohort"
    verbose_name = "Cohorts and streams"

    def ready(self) -> None:
        from cohort import checks  # noqa: F401  (registers the system checks)
