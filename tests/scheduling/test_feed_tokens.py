import pytest

from scheduling.feed_tokens import (
    feed_status_for,
    feed_token_lookup,
    feed_token_revoke,
    feed_token_rotate,
    hash_token,
)
from scheduling.feeds.scopes import FEED_SCOPES
from scheduling.models import FeedToken
from tests.factories import MentorFactory, ScholarFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1].removesuffix(".ics")


def test_every_token_scope_has_a_feed_class_naming_its_owner_column():
    assert set(FEED_SCOPES) == set(FeedToken.Scope.values)
    for scope, kind in FEED_SCOPES.items():
        assert kind.scope == scope
        assert FeedToken._meta.get_field(kind.owner_field).related_model is kind.owner_model


def test_rotating_gives_an_unguessable_url_and_stores_only_its_hash():
    scholar = ScholarFactory()

    link = feed_token_rotate(owner=scholar)

    token = token_of(link.https_url)
    assert len(token) >= 43
    row = FeedToken.objects.get()
    assert row.token_hash == hash_token(token)
    assert token not in row.token_hash
    assert link.webcal_url == "webcal://" + link.https_url.split("://", 1)[1]


def test_rotating_makes_the_old_token_stop_working_at_once():
    scholar = ScholarFactory()
    old = token_of(feed_token_rotate(owner=scholar).https_url)

    new = token_of(feed_token_rotate(owner=scholar).https_url)

    assert feed_token_lookup(old) is None
    assert feed_token_lookup(new).scholar == scholar


def test_revoked_token_is_not_found():
    token = token_of(feed_token_rotate(owner=ScholarFactory()).https_url)

    feed_token_revoke(token=FeedToken.objects.get())

    assert feed_token_lookup(token) is None


def test_unknown_token_is_not_found():
    assert feed_token_lookup("not-a-token-anyone-was-given") is None


def test_stream_feed_needs_its_cohort():
    scholar = ScholarFactory()

    with pytest.raises(ValueError, match="A stream feed belongs to one cohort"):
        feed_token_rotate(owner=scholar.stream)


def test_feed_status_lists_a_scholars_own_team_stream_and_cohort_feeds():
    user = UserFactory()
    scholar = ScholarFactory(user=user)
    team = TeamFactory(cohort=scholar.cohort)
    team.members.add(scholar)
    feed_token_rotate(owner=scholar)

    status = feed_status_for(user)

    assert [(s["scope"], s["label"], s["active"]) for s in status] == [
        ("scholar", scholar.name, True),
        ("team", team.name, False),
        ("stream", scholar.stream.title, False),
        ("cohort", scholar.cohort.name, False),
    ]


def test_feed_status_shows_a_mentors_own_feed_and_their_link_to_each_team_they_lead_now():
    mentor = MentorFactory(user=UserFactory())
    led, handed_over = TeamFactory(mentor=mentor), TeamFactory(mentor=mentor)
    own = token_of(feed_token_rotate(owner=mentor).https_url)
    feed_token_rotate(owner=led, by=mentor.user)
    feed_token_rotate(owner=handed_over, by=mentor.user)
    handed_over.mentor = MentorFactory()
    handed_over.save()

    status = feed_status_for(mentor.user)

    assert [(s["scope"], s["owner_id"], s["active"]) for s in status] == [
        ("mentor", mentor.pk, True),
        ("team", led.pk, True),
    ]
    assert status[0]["hint"] == own[:6]


def test_each_subscriber_of_a_shared_feed_rotates_only_their_own_link():
    first = ScholarFactory(user=UserFactory())
    cohort = first.cohort
    second = ScholarFactory(user=UserFactory(), cohort=cohort)
    firsts = token_of(feed_token_rotate(owner=cohort, by=first.user).https_url)
    seconds = token_of(feed_token_rotate(owner=cohort, by=second.user).https_url)

    replacement = token_of(feed_token_rotate(owner=cohort, by=first.user).https_url)

    assert feed_token_lookup(firsts) is None
    assert feed_token_lookup(replacement).subscriber == first.user
    assert feed_token_lookup(seconds).subscriber == second.user


def test_feed_status_shows_only_the_callers_own_link_to_a_shared_feed():
    scholar, classmate = ScholarFactory(user=UserFactory()), ScholarFactory(user=UserFactory())
    classmate.cohort = scholar.cohort
    classmate.save()
    feed_token_rotate(owner=scholar.cohort, by=classmate.user)

    mine = {s["scope"]: s["active"] for s in feed_status_for(scholar.user)}
    theirs = {s["scope"]: s["active"] for s in feed_status_for(classmate.user)}

    assert (mine["cohort"], theirs["cohort"]) == (False, True)


def test_a_scholar_who_leaves_the_team_loses_their_link_to_its_feed():
    scholar = ScholarFactory(user=UserFactory())
    team = TeamFactory(cohort=scholar.cohort)
    team.members.add(scholar)
    token = token_of(feed_token_rotate(owner=team, by=scholar.user).https_url)
    assert feed_token_lookup(token) is not None

    team.members.remove(scholar)

    assert feed_token_lookup(token) is None


def test_a_withdrawn_scholar_loses_their_link_to_the_cohort_feed_but_staff_keep_theirs():
    scholar = ScholarFactory(user=UserFactory())
    theirs = token_of(feed_token_rotate(owner=scholar.cohort, by=scholar.user).https_url)
    staffs = token_of(feed_token_rotate(owner=scholar.cohort, by=UserFactory(is_staff=True)).https_url)

    scholar.status = "withdrawn"
    scholar.save()

    assert feed_token_lookup(theirs) is None
    assert feed_token_lookup(staffs) is not None
