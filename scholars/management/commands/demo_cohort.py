from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from scholars.demo import demo_cohort_build


class Command(BaseCommand):
    help = "Create (or update) the demo cohort around the imported mentors, with sample scholars and an admin login."

    def handle(self, *args, **options) -> None:
        try:
            summary = demo_cohort_build(today=timezone.localdate())
        except ValueError as error:
            raise CommandError(str(error)) from error
        cohort = summary.cohort
        self.stdout.write(
            f"{cohort.name} ({cohort.slug}): {cohort.start_date:%d %b %Y} to {cohort.end_date:%d %b %Y}, "
            f"{summary.mentors} mentors, {summary.scholars} sample scholars"
        )
        if summary.admin_password:
            self.stdout.write(
                self.style.SUCCESS(f"Admin login: {summary.admin_username} / {summary.admin_password}")
            )
        elif summary.password_file.exists():
            password = summary.password_file.read_text().strip()
            self.stdout.write(self.style.SUCCESS(f"Admin login: {summary.admin_username} / {password}"))
        else:
            self.stdout.write(
                f"Admin login: {summary.admin_username} (existing; `manage.py changepassword "
                f"{summary.admin_username}` sets a new password)"
            )
        sign_in = f"{settings.PUBLIC_BASE_URL}/sign-in/"
        to_files = settings.EMAIL_BACKEND.endswith("filebased.EmailBackend")
        mailbox = f"the mail that lands in {settings.EMAIL_FILE_PATH}/" if to_files else "the mail"
        self.stdout.write(
            f"Sign in as a scholar: open {sign_in}, type {summary.scholar_email} and open the link in {mailbox} "
            f"(as a mentor: {summary.mentor_email})."
        )
