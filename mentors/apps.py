from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MentorsConfig(AppConfig):
    name = "mentors"

    def ready(self) -> None:
        post_migrate.connect(mentor_permissions_follow_code, dispatch_uid="mentor_permissions_follow_code")


def mentor_permissions_follow_code(sender: AppConfig, **signal_kwargs) -> None:
    """After migrating, an existing "Mentors" group gets what MENTOR_PERMISSIONS grants now (a new model's rows to
    manage). Once per migrate, after the last app whose permissions it names has had them created."""
    if sender.label != "scheduling":
        return
    from django.contrib.auth.models import Group

    from cohort.selectors import MENTORS_GROUP
    from mentors.services import mentors_group_ensure

    if Group.objects.filter(name=MENTORS_GROUP).exists():
        mentors_group_ensure()
