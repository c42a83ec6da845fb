"""Writes of the mentors app: mentor logins for the admin, and the group that says what a mentor may do there."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

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
INVITATION_SUBJECT = "admin/mentors/login_invitation_subject.txt"
INVITATION_BODY = "admin/mentors/login_invitation_email.txt"


class LoginOutcome(StrEnum):
    CREATED = "login created, set-password link sent"
    INVITED_AGAIN = "has not set a password yet: a new set-password link sent"
    HAS_PASSWORD = "already has a login with a password: nothing sent"
    NO_EMAIL = "no email address: no login created"
    USERNAME_TAKEN = "the username is taken by another login: no login created"


@dataclass(frozen=True)
class MentorLogin:
    mentor: Mentor
    outcome: LoginOutcome
    username: str

    @property
    def emailed(self) -> bool:
        return self.outcome in (LoginOutcome.CREATED, LoginOutcome.INVITED_AGAIN)

    def __str__(self) -> str:
        return f"{self.mentor.name} ({self.username}): {self.outcome}"


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


class _SetPasswordInvitation(PasswordResetForm):
    """Django's password-reset mail, sent to one chosen login although it has no usable password yet."""

    def __init__(self, user) -> None:
        super().__init__(data={"email": user.email})
        self.invited = user

    def get_users(self, email: str):
        yield self.invited


def _send_invitation(mentor: Mentor, user) -> None:
    base = urlsplit(settings.PUBLIC_BASE_URL)
    form = _SetPasswordInvitation(user)
    form.is_valid()
    form.save(
        domain_override=base.netloc,
        use_https=base.scheme == "https",
        subject_template_name=INVITATION_SUBJECT,
        email_template_name=INVITATION_BODY,
        extra_email_context={
            "mentor": mentor,
            "site_name": "cohortops",
            "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        },
    )


def mentor_logins_create(*, mentors: Iterable[Mentor]) -> list[MentorLogin]:
    """Give each mentor an admin login and email them a link to choose their password.

    1. A mentor without an email address gets nothing: they could never receive the link.
    2. A mentor without a login gets one (username = their slug, staff so the admin lets them in, in the
       "Mentors" group, no usable password), linked to their Mentor row.
    3. A login whose password was never set gets a fresh link; one with a password is left alone.
    Each login is committed before its mail goes out, so no link ever points at a login that was rolled back.
    """
    group = mentors_group_ensure()
    users = get_user_model().objects
    results = []
    for mentor in mentors:
        user = mentor.user
        if not mentor.email:
            results.append(MentorLogin(mentor, LoginOutcome.NO_EMAIL, user.get_username() if user else ""))
            continue
        if user is None:
            if users.filter(username=mentor.slug).exists():
                results.append(MentorLogin(mentor, LoginOutcome.USERNAME_TAKEN, mentor.slug))
                continue
            with transaction.atomic():
                # No password given: Django stores an unusable one until the mentor chooses theirs.
                user = users.create_user(username=mentor.slug, email=mentor.email, is_staff=True)
                user.groups.add(group)
                mentor.user = user
                mentor.save(update_fields=["user", "updated_at"])
            outcome = LoginOutcome.CREATED
        else:
            user.groups.add(group)
            if user.has_usable_password():
                results.append(MentorLogin(mentor, LoginOutcome.HAS_PASSWORD, user.get_username()))
                continue
            if user.email != mentor.email:
                # The mentor's own row is where their address is kept up to date.
                user.email = mentor.email
                user.save(update_fields=["email"])
            outcome = LoginOutcome.INVITED_AGAIN
        _send_invitation(mentor, user)
        results.append(MentorLogin(mentor, outcome, user.get_username()))
    return results
