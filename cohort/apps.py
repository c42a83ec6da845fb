from django.apps import AppConfig

# Both register themselves on import: the system checks, and the API schema's field extensions.
from cohort import checks, schema  # noqa: F401


class CohortConfig(AppConfig):
    name = "cohort"
    verbose_name = "Cohorts and streams"
