"""What each kind of calendar feed holds: one class per scope (a scholar's, a mentor's, a team's, a stream's, a
cohort's), answering which series it shows, whom it may name, which cohort's calendar it carries, in which zone
and with which alarms. ``scheduling.feeds.builder`` renders any of them the same way.

A feed names only the people its subscriber may see through the API (the apps' selectors): attendees and
organisers outside that are left out.

What a feed shows and whom it names are written in terms of the token's columns (``ids``) and the kind of reader its
subscriber is, so ``scheduling.feeds.builder`` can compile their statements once per kind of feed and reader, with a
``Slot`` for each id (``cohort.prepared``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from django.db.models import Model, Q, QuerySet

from cohort.cadence import MeetingKind
from cohort.models import Cohort, Person, Stream
from cohort.selectors import reader_of
from mentors.models import Mentor
from mentors.selectors import mentors_read_by
from scheduling.models import FeedToken, MeetingSeries
from scholars.models import Scholar, Team
from scholars.selectors import scholars_read_by, teams_read_by

Scope = FeedToken.Scope
# The token's columns that say whose feed it is, by name (each is ``<name>_id`` on the token).
TOKEN_IDS = ("scholar", "mentor", "team", "stream", "cohort")
# The kind of reader of a feed whose subscriber has no login (a personal feed's owner without one).
NO_LOGIN = "no login"


@dataclass(frozen=True)
class FeedAudience:
    """The people a feed may name, as querysets (no rows fetched) to filter attendees and organisers in SQL."""

    scholars: QuerySet[Scholar]
    mentors: QuerySet[Mentor]


@dataclass(frozen=True)
class CohortCalendar:
    """A cohort's phases, breaks and events in a feed; with ``stream_id`` also that stream's own events."""

    cohort_id: int
    stream_id: int | None = None


class FeedScope:
    """One kind of feed, read from its token. Subclasses say what differs; everything else is shared."""

    scope: ClassVar[str]
    owner_model: ClassVar[type[Model]]
    owner_field: ClassVar[str]  # the FeedToken column that holds the owner
    # Feeds many people read: each subscriber holds a token of their own, so rotating (or a leaked URL being
    # revoked) touches one person's subscription; a personal feed has exactly one live token, its owner's.
    shared: ClassVar[bool]
    # A stream runs in several cohorts: its feed, and so its token, is one cohort's.
    per_cohort: ClassVar[bool] = False
    # The rows the feed reads besides the token (its owner, its subscriber and their profiles), fetched with it.
    related: ClassVar[tuple[str, ...]]
    # Whether ``calendar`` names a cohort: every feed of the kind carries a programme, or none does.
    carries_programme: ClassVar[bool] = False

    def __init__(self, token: FeedToken) -> None:
        self.token = token

    def owner(self) -> Model:
        return getattr(self.token, self.owner_field)

    def owner_id(self) -> int:
        return getattr(self.token, f"{self.owner_field}_id")

    def ids(self) -> dict[str, int | None]:
        """The token's columns ``series_of`` and ``audience_of`` read, by name."""
        return {name: getattr(self.token, f"{name}_id") for name in TOKEN_IDS}

    def label(self) -> str:
        """Whose feed this is, as staff read it in the list of links."""
        return str(self.owner())

    def subscriber(self):
        """Who reads the feed: the user whose view of people the feed follows (None without a login)."""
        raise NotImplementedError

    def reader(self) -> tuple[str, int | None]:
        """The kind of reader the subscriber is, and as whom (``reader_of``; ``NO_LOGIN`` without a login)."""
        user = self.subscriber()
        return (NO_LOGIN, None) if user is None else reader_of(user)

    def series(self) -> QuerySet[MeetingSeries]:
        """The series the feed shows, as a queryset (no rows fetched)."""
        return self.series_of(self.ids())

    @classmethod
    def series_of(cls, ids: Mapping[str, object]) -> QuerySet[MeetingSeries]:
        """``series`` for a token's ``ids``, each the id or a ``Slot`` of it."""
        raise NotImplementedError

    @staticmethod
    def audience_of(reader: str, person: object, ids: Mapping[str, object]) -> FeedAudience:
        """Whom a kind of reader (``reader``) sees through the API in a feed of a token's ``ids``, and everyone in
        the teams they see; ``person`` and each id may be a ``Slot``."""
        if reader == NO_LOGIN:
            # Without a login nobody is visible through the API; a personal feed still names its owner.
            return FeedAudience(
                scholars=Scholar.objects.filter(pk=ids["scholar"]),
                mentors=Mentor.objects.filter(pk=ids["mentor"]),
            )
        teams = teams_read_by(reader, person)
        return FeedAudience(
            scholars=Scholar.objects.filter(
                Q(pk__in=scholars_read_by(reader, person).values("pk"))
                | Q(pk__in=Scholar.objects.filter(teams__in=teams.values("pk")).values("pk"))
            ),
            mentors=Mentor.objects.filter(
                Q(pk__in=mentors_read_by(reader, person).values("pk")) | Q(pk__in=teams.values("mentor"))
            ),
        )

    def calendar(self) -> CohortCalendar | None:
        """The cohort whose programme (phases, breaks, events) the feed carries besides meetings, if any."""
        return None

    def settings_owner(self) -> Person | None:
        """The person whose own settings (zone, reminder offsets) shape the feed, if any."""
        return None

    def time_zone(self) -> str:
        raise NotImplementedError

    def alarm_minutes(self) -> tuple[int, ...]:
        """Shared feeds carry no alarms: whose reminder setting would they follow?"""
        return ()


class PersonalFeed(FeedScope):
    """A person's own meetings, in their zone, with their own reminder setting as alarms."""

    shared = False
    series_field: ClassVar[str]  # the MeetingSeries relation that holds the owner

    def subscriber(self):
        return self.settings_owner().user

    def settings_owner(self) -> Person:
        return self.owner()

    @classmethod
    def series_of(cls, ids: Mapping[str, object]) -> QuerySet[MeetingSeries]:
        return MeetingSeries.objects.filter(**{cls.series_field: ids[cls.owner_field]})

    def time_zone(self) -> str:
        return self.settings_owner().time_zone

    def alarm_minutes(self) -> tuple[int, ...]:
        return tuple(sorted(self.settings_owner().reminder_offsets_minutes, reverse=True))


class ScholarFeed(PersonalFeed):
    scope = Scope.SCHOLAR
    owner_model = Scholar
    owner_field = "scholar"
    series_field = "scholars"
    related = ("scholar__user__mentor",)


class MentorFeed(PersonalFeed):
    scope = Scope.MENTOR
    owner_model = Mentor
    owner_field = "mentor"
    series_field = "mentor"
    related = ("mentor__user__scholar",)


class SharedFeed(FeedScope):
    """A feed many people read, each through their own token, naming whom that subscriber may see."""

    shared = True
    # Whether the subscriber may still read it depends on their profiles, and a scholar's stream and cohort.
    related = (
        "cohort",
        "subscriber__mentor",
        "subscriber__scholar__stream",
        "subscriber__scholar__cohort",
    )

    def subscriber(self):
        return self.token.subscriber

    def time_zone(self) -> str:
        return self.token.cohort.time_zone


class TeamFeed(SharedFeed):
    """A team's meetings, in its mentor's zone."""

    scope = Scope.TEAM
    owner_model = Team
    owner_field = "team"
    related = (*SharedFeed.related, "team__mentor")

    @classmethod
    def series_of(cls, ids: Mapping[str, object]) -> QuerySet[MeetingSeries]:
        return MeetingSeries.objects.filter(team=ids["team"])

    def time_zone(self) -> str:
        team = self.token.team
        return team.mentor.time_zone if team.mentor_id else "UTC"


class StreamFeed(SharedFeed):
    """A stream's group meetings and stand-ups in one cohort, with that cohort's programme and the stream's events."""

    scope = Scope.STREAM
    owner_model = Stream
    owner_field = "stream"
    related = (*SharedFeed.related, "stream")
    per_cohort = True
    carries_programme = True

    @classmethod
    def series_of(cls, ids: Mapping[str, object]) -> QuerySet[MeetingSeries]:
        return MeetingSeries.objects.filter(
            cohort=ids["cohort"],
            kind__in=[MeetingKind.GROUP, MeetingKind.STANDUP],
            mentor__streams=ids["stream"],
        ).distinct()

    def calendar(self) -> CohortCalendar:
        return CohortCalendar(cohort_id=self.token.cohort_id, stream_id=self.token.stream_id)

    def label(self) -> str:
        return f"{self.owner()} in {self.token.cohort}"


class CohortFeed(SharedFeed):
    """A cohort's programme only: its phases, breaks and events, no meetings."""

    scope = Scope.COHORT
    owner_model = Cohort
    owner_field = "cohort"
    carries_programme = True

    @classmethod
    def series_of(cls, ids: Mapping[str, object]) -> QuerySet[MeetingSeries]:
        return MeetingSeries.objects.none()

    def calendar(self) -> CohortCalendar:
        return CohortCalendar(cohort_id=self.token.cohort_id)


FEED_SCOPES: dict[str, type[FeedScope]] = {
    kind.scope: kind for kind in (ScholarFeed, MentorFeed, TeamFeed, StreamFeed, CohortFeed)
}
SCOPE_OF_OWNER: dict[type[Model], type[FeedScope]] = {kind.owner_model: kind for kind in FEED_SCOPES.values()}


def feed_scope(token: FeedToken) -> FeedScope:
    """The token's feed, as the class of its scope."""
    return FEED_SCOPES[token.scope](token)
