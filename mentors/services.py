"""Writes of the mentors app: mentor logins for the admin, and the group that says what a mentor may do there."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from cohort.sign_in import PersonLogin, login_invitation_send, person_login_ensure
from mentors.models import Mentor

MENTORS_GROUP = "Mentors"
# What a mentor may do in the admin; the admin then narrows every list to the mentor's own rows.
MENTOR_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "mentors.mentor": ("view", "change"),
    "mentors.availability": ("view", "add", "change", "delete"),
    "scholars.scholar": ("view",),
    "scholars.blackout": ("view", "add", "change", "delete"),
    "scholars.mentorship": ("view",),
    "scholars.team": ("view",),
    "scholars.checkin": ("view",),
    "scheduling.meetingseries": ("view",),
    "scheduling.meeting": ("view", "change"),
}


def mentors_group_ensure() -> Group:
    """The "Mentors" group with exactly MENTOR_PERMISSIONS (anything granted by hand beyond them is removed)."""
    group, _ = Group.objects.get_or_create(name=MENTORS_GROUP)
    wanted = Q(pk__in=[])
    for label, actions in MENTOR_PERMISSIONS.items():
        app_label, model = label.split(".")
        wanted |= Q(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__in=[f"{action}_{model}" for action in actions],
        )
    group.permissions.set(Permission.objects.filter(wanted))
    return group


def mentor_logins_create(*, mentors: Iterable[Mentor], invite: bool = True) -> list[PersonLogin]:
    """Give each mentor an admin login in the "Mentors" group (``is_staff``: the admin lets only staff in, and
    then narrows every list to the mentor's own rows), username their slug, and unless ``invite`` is False mail a
    login never used its first sign-in link (``cohort.sign_in``)."""
    group = mentors_group_ensure()
    logins = [person_login_ensure(m, username=m.slug, is_staff=True, groups=[group]) for m in mentors]
    return [login_invitation_send(login, role="mentor") for login in logins] if invite else logins
