"""System checks that tell an operator what is unsafe about this configuration."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def development_secret_key_in_use(app_configs, **kwargs) -> list[Warning]:
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        return [
            Warning(
                "SECRET_KEY is not set: the development key is in use.",
                hint="Set SECRET_KEY in the environment before anyone else can reach this server.",
                id="cohort.W001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def local_calendar_origins_outside_debug(app_configs, **kwargs) -> list[Error]:
    if settings.OUTBOUND_LOCAL_CALENDAR_ORIGINS and not settings.DEBUG:
        return [
            Error(
                "COHORTOPS_LOCAL_CALENDAR_ORIGINS lets people's calendar addresses reach this machine over plain "
                "http; it is for the demo only.",
                hint="Unset COHORTOPS_LOCAL_CALENDAR_ORIGINS.",
                id="cohort.E001",
            )
        ]
    return []
