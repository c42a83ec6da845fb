from django.core.management.base import BaseCommand, CommandError

from cohort.models import Cohort
from scheduling.models import PlanRun
from scheduling.services.planning import PlanNotApplicable, plan_apply, plan_cohort


class Command(BaseCommand):
    help = "Plan a cohort's recurring meetings; print what was placed, what was not and why, and the change."

    def add_arguments(self, parser) -> None:
        parser.add_argument("cohort", help="the cohort's slug")
        parser.add_argument("--apply", action="store_true", help="publish the plan (otherwise: preview only)")

    def handle(self, *args, cohort: str, apply: bool, **options) -> None:
        try:
            target = Cohort.objects.get(slug=cohort)
        except Cohort.DoesNotExist:
            raise CommandError(f"No cohort with slug {cohort!r}.") from None
        run = plan_cohort(cohort=target)
        if run.status == PlanRun.Status.FAILED:
            raise CommandError(f"Planning failed: {run.error}")
        self._print_result(run)
        if apply:
            try:
                plan_apply(plan_run=run)
            except PlanNotApplicable as error:
                raise CommandError(str(error)) from error
            self.stdout.write(self.style.SUCCESS(f"Plan #{run.pk} applied."))
        else:
            self.stdout.write(f"Preview only: `manage.py plan {cohort} --apply` publishes it.")

    def _print_result(self, run: PlanRun) -> None:
        result = run.result
        self.stdout.write(
            f"Plan #{run.pk} for {run.cohort}: {result['placed']} of {result['demanded']} weekly meetings placed "
            f"({result.get('solver_summary', result['solver_status'])}, {result['wall_seconds']} s)"
        )
        for row in result["summary"]:
            self.stdout.write(
                f"  {row['name']}: {row['placed']} placed, wanted {row['wanted_min']}–{row['wanted_max']}"
            )
        for slug, cadence in result["cadence_used"].items():
            self.stdout.write(f"  cadence {slug}: {cadence}")
        for item in result["unplaced"]:
            self.stdout.write(self.style.WARNING(f"  not placed: {item['label']}: {item['reason']}"))
        for item in result.get("below_max", []):
            self.stdout.write(
                f"  {item['label']}: {item['placed']} of up to {item['wanted_max']} a week; no more fit: "
                f"{item['reason']}"
            )
        for item in result["unschedulable"]:
            self.stdout.write(self.style.WARNING(f"  not planned: {item['reason']}"))
        for change in ("added", "moved", "removed"):
            for line in run.diff.get(change, []):
                self.stdout.write(f"  {change}: {line}")
        self.stdout.write(f"  unchanged: {len(run.diff.get('unchanged', []))} series")
