"""The feed generation: every write to something a feed shows, or to who may read one, ends every feed's stamp,
so a feed served without a query is never stale; writes to nothing a feed shows leave the stamps alone."""

import datetime as dt
import shutil
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, update_last_login
from django.db import transaction

from cohort.generation import current_generation
from mentors.models import Mentor
from mentors.stream_import import import_stream_documents
from scheduling import views
from scheduling.feed_tokens import feed_token_lookup, feed_token_revoke, feed_token_rotate
from scheduling.feeds.builder import feed_stamp
from scheduling.models import FeedToken
from scheduling.services.meeting_edits import series_cancel_rest
from tests.factories import (
    CheckInFactory,
    CohortFactory,
    MentorFactory,
    MentorshipFactory,
    PhaseFactory,
    ProgramEventFactory,
    ScholarFactory,
    TeamFactory,
    UserFactory,
)
from tests.meeting_rows import move_meeting, weekly_series_with_meetings

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def world():
    cohort = CohortFactory(start_date=dt.date(2027, 2, 1), end_date=dt.date(2027, 4, 30))
    mentor = MentorFactory(user=UserFactory())
    scholar = ScholarFactory(cohort=cohort, user=UserFactory())
    team = TeamFactory(cohort=cohort, mentor=mentor)
    team.members.add(scholar)
    series = weekly_series_with_meetings(cohort=cohort, mentor=mentor, scholars=[scholar])
    return {
        "cohort": cohort,
        "mentor": mentor,
        "scholar": scholar,
        "team": team,
        "series": series,
        "phase": PhaseFactory(cohort=cohort),
        "event": ProgramEventFactory(cohort=cohort),
    }


def _deactivate(user) -> None:
    user.is_active = False
    user.save()


def _rename(row) -> None:
    row.name = f"{row.name} (renamed)"
    row.save()


WRITES_A_FEED_SHOWS = {
    "a meeting moved": lambda w: move_meeting(
        w["series"].meetings.earliest("starts_at"),
        to=w["series"].meetings.earliest("starts_at").starts_at + dt.timedelta(hours=1),
    ),
    # Bulk updates send no signal: the service says so itself.
    "the rest of a series cancelled": lambda w: series_cancel_rest(
        series=w["series"], from_instant=w["series"].meetings.latest("starts_at").starts_at
    ),
    "a scholar renamed": lambda w: _rename(w["scholar"]),
    "a mentor renamed": lambda w: _rename(w["mentor"]),
    "a phase renamed": lambda w: _rename(w["phase"]),
    "a programme event deleted": lambda w: w["event"].delete(),
    "a scholar leaving a team": lambda w: w["team"].members.remove(w["scholar"]),
    "a new mentorship": lambda w: MentorshipFactory(mentor=w["mentor"], scholar=w["scholar"]),
    "a login deactivated": lambda w: _deactivate(w["scholar"].user),
    "a login given a group": lambda w: w["mentor"].user.groups.add(Group.objects.create(name="staff-ish")),
    "a feed link rotated": lambda w: feed_token_rotate(owner=w["scholar"]),
}


@pytest.mark.parametrize("write", WRITES_A_FEED_SHOWS.values(), ids=WRITES_A_FEED_SHOWS.keys())
def test_a_write_to_what_feeds_show_moves_the_generation_on(world, write):
    before = current_generation()

    write(world)

    assert current_generation() != before


WRITES_NO_FEED_SHOWS = {
    "a sign-in": lambda w: update_last_login(None, w["scholar"].user),
    "a check-in": lambda w: CheckInFactory(scholar=w["scholar"]),
}


@pytest.mark.parametrize("write", WRITES_NO_FEED_SHOWS.values(), ids=WRITES_NO_FEED_SHOWS.keys())
def test_a_write_to_nothing_feeds_show_keeps_the_generation(world, write):
    before = current_generation()

    write(world)

    assert current_generation() == before


@pytest.mark.django_db(transaction=True)
def test_the_generation_moves_on_again_when_the_write_commits():
    """A request on another connection may read the rows before the commit and stamp its feed with the value
    the write set at once: the commit must leave that stamp behind."""
    before = current_generation()
    with transaction.atomic():
        scholar = ScholarFactory()
        scholar.name = "Renamed"
        scholar.save()
        during = current_generation()

    assert before != during != current_generation()


def test_a_feed_served_from_its_stamp_stops_at_once_when_its_link_is_rotated(client, world):
    old = "/feeds/" + feed_token_rotate(owner=world["scholar"]).https_url.rsplit("/", 1)[1]
    assert client.get(old).status_code == 200

    feed_token_rotate(owner=world["scholar"])

    assert client.get(old).status_code == 404


def test_a_scholar_who_leaves_the_team_loses_its_feed_at_once(client, world):
    link = feed_token_rotate(owner=world["team"], by=world["scholar"].user)
    url = "/feeds/" + link.https_url.rsplit("/", 1)[1]
    assert client.get(url).status_code == 200

    world["team"].members.remove(world["scholar"])

    assert client.get(url).status_code == 404


def test_an_import_linking_existing_mentors_to_a_stream_moves_the_generation_on(tmp_path):
    seed = Path(shutil.copy(REPO / "seeds" / "interpretability.txt", tmp_path / "interpretability.txt"))
    import_stream_documents([seed])
    Mentor.streams.through.objects.all().delete()
    before = current_generation()

    # The mentors are unchanged: only their links to the stream are written, in bulk.
    import_stream_documents([seed])

    assert Mentor.streams.through.objects.exists()
    assert current_generation() != before


def test_a_stamp_made_from_rows_read_before_a_revocation_is_never_served(client, world):
    token = feed_token_rotate(owner=world["scholar"]).https_url.rsplit("/", 1)[1].removesuffix(".ics")
    url = f"/feeds/{token}.ics"
    # A request reads the generation and the token, then the token is revoked before it stores its stamp.
    generation = current_generation()
    row = feed_token_lookup(token)
    feed_token_revoke(token=FeedToken.objects.get(pk=row.pk))
    feed_stamp(row, generation=generation)

    assert client.get(url).status_code == 404


def test_a_feed_read_while_its_link_is_revoked_is_served_once_and_then_never(client, world, monkeypatch):
    token = feed_token_rotate(owner=world["scholar"]).https_url.rsplit("/", 1)[1].removesuffix(".ics")
    url = f"/feeds/{token}.ics"

    def read_then_revoked(raw: str) -> FeedToken | None:
        # The revocation commits after the request has read the token, before it keeps its stamp.
        row = feed_token_lookup(raw)
        feed_token_revoke(token=FeedToken.objects.get(pk=row.pk))
        return row

    monkeypatch.setattr(views, "feed_token_lookup", read_then_revoked)
    during = client.get(url)
    monkeypatch.undo()

    assert during.status_code == 200  # what it read before the revocation
    assert client.get(url).status_code == 404
