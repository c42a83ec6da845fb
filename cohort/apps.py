from django.apps import AppConfig
from django.db.backends.signals import connection_created

# Both register themselves on import: the system checks, and the API schema's field extensions.
from cohort import checks, schema  # noqa: F401
from cohort.postgres_instants import use_compiled_instant_loader


class CohortConfig(AppConfig):
    name = "cohort"
    verbose_name = "Cohorts and streams"

    def ready(self) -> None:
        connection_created.connect(use_compiled_instant_loader, dispatch_uid="compiled-instant-loader")
