"""Sign-in by a single-use link mailed to a scholar's or a mentor's address; staff sign in with their password.

A link is a bearer credential for one sign-in: 32 random bytes, of which only the SHA-256 is stored, valid for
``SIGN_IN_LINK_MINUTES`` (``INVITATION_LINK_DAYS`` in a first invitation, which people read days later), used at
most once. Using one retires every other link still out for that login. Staff accounts never get one (any login
that can do more than a mentor: see ``may_sign_in_by_link``): their password (and the admin's lockout) is their
only way in, so a mailbox is never the key to a staff account.

Who asks for a link learns nothing about whether the address has an account: the page answers the same, and the
mail is composed on the worker (``cohort.tasks``), so not even the time of the answer differs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cohort.models import Person, SignInLink
from cohort.selectors import has_only_mentor_rights, is_staff_role, mentor_of, scholar_of

SIGN_IN_SUBJECT = "sign_in/link_subject.txt"
SIGN_IN_BODY = "sign_in/link_email.txt"
INVITATION_SUBJECT = "sign_in/invitation_subject.txt"
INVITATION_BODY = "sign_in/invitation_email.txt"
# Used and expired links are deleted this long after they expire: long enough to tell someone why theirs failed.
KEPT_AFTER_EXPIRY = dt.timedelta(days=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def may_sign_in_by_link(user: AbstractBaseUser) -> bool:
    """Active scholars' and mentors' logins that can do no more than a mentor can; never a staff account (a
    superuser, or a login with any other group or permission, even one linked to a mentor or a scholar)."""
    return bool(
        user.is_active
        and (scholar_of(user) is not None or mentor_of(user) is not None)
        and not is_staff_role(user)
        and has_only_mentor_rights(user)
    )


def sign_in_link_create(*, user: AbstractBaseUser, valid_for: dt.timedelta, next_path: str = "") -> str:
    """A new single-use link for ``user``, as the absolute URL to mail them; ``next_path`` is where it leads."""
    token = secrets.token_urlsafe(32)
    SignInLink.objects.create(user=user, token_hash=_hash(token), expires_at=timezone.now() + valid_for)
    url = settings.PUBLIC_BASE_URL + reverse("sign-in-link", args=[token])
    return f"{url}?{urlencode({'next': next_path})}" if next_path else url


def sign_in_link_usable(token: str) -> bool:
    """Whether the link would sign someone in now (the page that asks them to confirm says so before they try)."""
    link = (
        SignInLink.objects.select_related("user")
        .filter(token_hash=_hash(token), used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    return link is not None and may_sign_in_by_link(link.user)


@transaction.atomic
def sign_in_link_redeem(token: str) -> AbstractBaseUser | None:
    """The login a link signs in, marking it used (and retiring that login's other links); None for a link that
    is unknown, used, expired or whose login may no longer sign in this way."""
    now = timezone.now()
    link = (
        SignInLink.objects.select_for_update()
        .select_related("user")
        .filter(token_hash=_hash(token), used_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if link is None or not may_sign_in_by_link(link.user):
        return None
    SignInLink.objects.filter(user=link.user, used_at__isnull=True).update(used_at=now, updated_at=now)
    return link.user


def logins_for_address(email: str) -> list[AbstractBaseUser]:
    """The logins that may sign in by a link sent to ``email``: the address on their scholar's or mentor's row,
    case-insensitively. Only there: staff correct a person's address on that row, and the old one must stop
    working at once (the login's own copy of it may be stale)."""
    users = (
        get_user_model()
        .objects.filter(Q(scholar__email__iexact=email) | Q(mentor__email__iexact=email), is_active=True)
        .select_related("scholar", "mentor")
        .distinct()
    )
    return [user for user in users if may_sign_in_by_link(user)]


def sign_in_link_mail(*, email: str, next_path: str = "") -> int:
    """Mail a fresh link to each login ``email`` belongs to, and nothing to an unknown address; returns how many
    were sent. Also deletes links long expired."""
    SignInLink.objects.filter(expires_at__lt=timezone.now() - KEPT_AFTER_EXPIRY).delete()
    minutes = settings.SIGN_IN_LINK_MINUTES
    sent = 0
    for user in logins_for_address(email):
        url = sign_in_link_create(user=user, valid_for=dt.timedelta(minutes=minutes), next_path=next_path)
        context = {
            "name": _person_name(user),
            "url": url,
            "minutes": minutes,
            "sign_in_url": settings.PUBLIC_BASE_URL + reverse("sign-in"),
        }
        _send(SIGN_IN_SUBJECT, SIGN_IN_BODY, context, to=email)
        sent += 1
    return sent


def sign_in_invitation_send(*, user: AbstractBaseUser, role: str) -> None:
    """Mail a scholar's or mentor's new login its first link: what cohortops is for them (``role``: "scholar" or
    "mentor") and how to sign in later."""
    days = settings.INVITATION_LINK_DAYS
    url = sign_in_link_create(user=user, valid_for=dt.timedelta(days=days))
    context = {
        "name": _person_name(user),
        "role": role,
        "url": url,
        "days": days,
        "sign_in_url": settings.PUBLIC_BASE_URL + reverse("sign-in"),
    }
    _send(INVITATION_SUBJECT, INVITATION_BODY, context, to=user.email)


def _person_name(user: AbstractBaseUser) -> str:
    person = scholar_of(user) or mentor_of(user)
    return person.name if person is not None else user.get_username()


def _send(subject_template: str, body_template: str, context: dict, *, to: str) -> None:
    subject = " ".join(render_to_string(subject_template, context).split())
    send_mail(subject, render_to_string(body_template, context), None, [to])


# --- Logins for scholars and mentors ------------------------------------------------------------------------------


class LoginOutcome(StrEnum):
    CREATED = "login created"
    NOT_SIGNED_IN_YET = "has a login, not used yet"
    SIGNED_IN_BEFORE = "has signed in before: nothing sent (they ask for a link at /sign-in/)"
    NO_EMAIL = "no email address: no login created"
    USERNAME_TAKEN = "the username is taken by another login: no login created"
    STAFF_LOGIN = "has a staff login, which signs in with its password: nothing changed or sent"


@dataclass(frozen=True)
class PersonLogin:
    person: Person
    outcome: LoginOutcome
    username: str
    emailed: bool = False

    def __str__(self) -> str:
        sent = ", sign-in link sent" if self.emailed else ""
        return f"{self.person.name} ({self.username}): {self.outcome}{sent}"


def person_login_ensure(
    person: Person, *, username: str, is_staff: bool = False, groups: Iterable[Group] = ()
) -> PersonLogin:
    """Give a scholar or a mentor a login of their own, without a password, linked to their row.

    1. Without an email address they get none: no link could ever reach them.
    2. Without a login they get one (``username``, ``is_staff`` as given: mentors work in the admin), unless
       another login has that username, which is reported rather than taken over.
    3. An existing login takes the person's current address (their row is where staff keep it up to date), and
       ``is_staff`` when asked for it; a staff account linked to the person is reported and left alone.
    The login joins ``groups`` either way.
    """
    user = person.user
    if not person.email:
        return PersonLogin(person, LoginOutcome.NO_EMAIL, user.get_username() if user else "")
    users = get_user_model().objects
    if user is None:
        if users.filter(username=username).exists():
            return PersonLogin(person, LoginOutcome.USERNAME_TAKEN, username)
        with transaction.atomic():
            # No password: Django stores an unusable one, and the person signs in by links.
            user = users.create_user(username=username, email=person.email, is_staff=is_staff)
            user.groups.add(*groups)
            person.user = user
            person.save(update_fields=["user", "updated_at"])
        return PersonLogin(person, LoginOutcome.CREATED, username)
    if user.is_superuser or (user.is_staff and not has_only_mentor_rights(user)):
        # A staff account linked to a person: signing in by a mailed link would open it; it keeps its password.
        return PersonLogin(person, LoginOutcome.STAFF_LOGIN, user.get_username())
    user.groups.add(*groups)
    wanted = {"email": person.email} | ({"is_staff": True} if is_staff else {})
    changed = {field: value for field, value in wanted.items() if getattr(user, field) != value}
    if changed:
        for field, value in changed.items():
            setattr(user, field, value)
        user.save(update_fields=list(changed))
    outcome = LoginOutcome.NOT_SIGNED_IN_YET if user.last_login is None else LoginOutcome.SIGNED_IN_BEFORE
    return PersonLogin(person, outcome, user.get_username())


def login_invitation_send(login: PersonLogin, *, role: str) -> PersonLogin:
    """Mail a login made or found by ``person_login_ensure`` its first sign-in link, if it has never been used;
    call it after the login is committed, so no link points at a login that was rolled back."""
    if login.outcome not in (LoginOutcome.CREATED, LoginOutcome.NOT_SIGNED_IN_YET):
        return login
    sign_in_invitation_send(user=login.person.user, role=role)
    return PersonLogin(login.person, login.outcome, login.username, emailed=True)


def person_logins_create(
    people: Iterable[Person],
    *,
    username_of: Callable[[Person], str],
    role: str,
    invite: bool = True,
    is_staff: bool = False,
    groups: Iterable[Group] = (),
) -> list[PersonLogin]:
    """``person_login_ensure`` for each person, then (unless ``invite`` is False) ``login_invitation_send``."""
    groups = list(groups)
    logins = [
        person_login_ensure(person, username=username_of(person), is_staff=is_staff, groups=groups)
        for person in people
    ]
    return [login_invitation_send(login, role=role) for login in logins] if invite else logins
