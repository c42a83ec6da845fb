import os

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from scholars.demo import demo_calendar_attach


class Command(BaseCommand):
    help = (
        "Give the demo cohort's first mentor their own calendar, read from COHORTOPS_DEMO_CALENDAR_URL (run.py demo "
        "serves seeds/calendars/ on this machine), so the plan works around their busy times."
    )

    def handle(self, *args, **options) -> None:
        url = os.environ.get("COHORTOPS_DEMO_CALENDAR_URL", "")
        if not url:
            self.stdout.write(
                "No demo calendar: COHORTOPS_DEMO_CALENDAR_URL is not set (run.py demo sets it), so the plan "
                "works from weekly hours alone."
            )
            return
        try:
            source = demo_calendar_attach(url=url, now=timezone.now())
        except ValueError as error:
            raise CommandError(str(error)) from error
        if source.status != source.Status.OK:
            raise CommandError(f"The demo calendar could not be read: {source.status_detail}")
        ahead = source.busy_blocks.filter(ends_at__gt=timezone.now()).count()
        self.stdout.write(f"{source.owner.name}: {ahead} busy times ahead, read from {source.url_hint}")
