from django.core.management.base import BaseCommand
from django.utils import timezone

from cohort.models import Cohort
from scheduling.demo import demo_history_write
from scholars.demo import DEMO_SLUG


class Command(BaseCommand):
    help = (
        "Write the demo cohort's weeks before today (meetings held, one pair's last two weeks missed) and open the "
        "pair health findings they show. Once: a cohort with its history keeps it."
    )

    def handle(self, *args, **options) -> None:
        cohort = Cohort.objects.get(slug=DEMO_SLUG)
        history = demo_history_write(cohort=cohort, today=timezone.localdate())
        if history is None:
            self.stdout.write(
                "The demo cohort has its history already (or no past, or nothing published yet)."
            )
            return
        self.stdout.write(
            f"{history.held} meetings held and {history.missed} missed since {cohort.start_date:%d %b %Y}; "
            f"{history.behind} is behind its cadence. Pair health opened {history.health.opened} finding(s), "
            "shown on the admin's dashboard."
        )
