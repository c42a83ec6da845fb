from django.core.management.base import BaseCommand, CommandError, CommandParser

from mentors.models import Mentor
from mentors.services import mentor_logins_create


class Command(BaseCommand):
    help = (
        "Give mentors a login to the admin and email each login not used yet a sign-in link "
        "(all mentors, or those named with --mentor)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--mentor",
            dest="slugs",
            metavar="SLUG",
            nargs="+",
            action="extend",
            default=[],
            help="a mentor's slug; repeat or list several",
        )

    def handle(self, *args: object, slugs: list[str], **options: object) -> None:
        mentors = Mentor.objects.select_related("user").order_by("name")
        if slugs:
            mentors = mentors.filter(slug__in=slugs)
            unknown = sorted(set(slugs) - {mentor.slug for mentor in mentors})
            if unknown:
                raise CommandError(f"No mentor with slug {', '.join(map(repr, unknown))}.")
        for login in mentor_logins_create(mentors=mentors):
            self.stdout.write(str(login))
