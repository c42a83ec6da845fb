"""Meetings and notifications page by their sort key: every row once, in order, forwards and back, however many
share a start, with a row written mid-way neither skipped nor shown twice, and no count of the whole list. The
meetings list asked for as it is reads its pages with statements compiled once, and they are the pages its
queryset gives."""

import datetime as dt
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db.models.sql.compiler import SQLCompiler
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request

from cohort.filters import may_narrow
from cohort.pagination import KeysetPagination
from scheduling.api import MeetingViewSet
from scheduling.models import Meeting, Notification
from tests.api.conftest import FUTURE, client_for, login_of
from tests.factories import MeetingFactory, MeetingSeriesFactory, MentorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def meetings(world):
    """Thirty meetings besides the world's two: three mentors' series meeting at the same ten instants, scholar a
    in the first two."""
    for index in range(3):
        scholars = [world["a"]["scholar"]] if index < 2 else []
        series = MeetingSeriesFactory(mentor=MentorFactory(), cohort=world["cohort"], scholars=scholars)
        for day in range(10):
            MeetingFactory(series=series, starts_at=FUTURE + dt.timedelta(days=day, hours=1))
    return world


def walk(client, url: str, params: dict, *, link: str = "next") -> list[dict]:
    """Every page from the first, following ``link``; the pages' rows in the order read."""
    pages, response = [], client.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        pages.append(response.json())
        if pages[-1][link] is None:
            return pages
        response = client.get(pages[-1][link])


def test_pages_forward_hold_every_meeting_once_in_order_of_start_then_id(meetings):
    client = client_for(meetings["staff"])

    pages = walk(client, "/api/v1/meetings/", {"limit": 7})
    rows = [row for page in pages for row in page["results"]]

    assert [len(page["results"]) for page in pages] == [7, 7, 7, 7, 4]
    assert "count" not in pages[0]
    assert pages[0]["previous"] is None
    assert len(rows) == len({row["id"] for row in rows}) == 32
    assert [(row["starts_at"], row["id"]) for row in rows] == sorted(
        (row["starts_at"], row["id"]) for row in rows
    )


def test_pages_back_from_the_last_give_the_same_rows(meetings):
    client = client_for(meetings["staff"])
    forward = walk(client, "/api/v1/meetings/", {"limit": 7})

    back = [forward[-1]]
    while back[-1]["previous"] is not None:
        back.append(client.get(back[-1]["previous"]).json())

    assert [page["results"] for page in reversed(back)] == [page["results"] for page in forward]


def test_descending_order_pages_the_other_way(meetings):
    client = client_for(meetings["staff"])

    pages = walk(client, "/api/v1/meetings/", {"limit": 5, "ordering": "-starts_at"})
    rows = [row for page in pages for row in page["results"]]

    assert len(rows) == len({row["id"] for row in rows}) == 32
    assert [(row["starts_at"], row["id"]) for row in rows] == sorted(
        ((row["starts_at"], row["id"]) for row in rows), reverse=True
    )


def test_a_meeting_written_behind_the_page_read_is_not_shown_and_none_is_shown_twice(meetings):
    client = client_for(meetings["staff"])
    first = client.get("/api/v1/meetings/", {"limit": 10}).json()
    # An offset would now shift every later row by one: the next page would repeat the tenth.
    series = MeetingSeriesFactory(mentor=MentorFactory(), cohort=meetings["cohort"])
    MeetingFactory(series=series, starts_at=FUTURE - dt.timedelta(days=1))

    rest = walk(client, first["next"], {})
    ids = [row["id"] for page in [first, *rest] for row in page["results"]]

    assert len(ids) == len(set(ids)) == 32


def test_a_deep_page_costs_the_same_queries_as_the_first(meetings, django_assert_num_queries):
    client = client_for(meetings["staff"])
    pages = walk(client, "/api/v1/meetings/", {"limit": 5})

    # The page alone (the login and its profiles are read once per client here): no count, however deep.
    with django_assert_num_queries(1):
        client.get("/api/v1/meetings/", {"limit": 5})
    with django_assert_num_queries(1):
        client.get(pages[-2]["next"])


def test_a_scholars_notifications_page_by_due_time(world):
    scholar = world["a"]["scholar"]
    for index, minutes in enumerate((30, 10, 20, 10, 40)):
        Notification.objects.create(
            kind=Notification.Kind.REMINDER,
            dedupe_key=f"test-{index}",
            recipient_scholar=scholar,
            due_at=FUTURE + dt.timedelta(minutes=minutes),
        )
    client = client_for(world["staff"])

    pages = walk(client, "/api/v1/notifications/", {"limit": 2})
    rows = [row for page in pages for row in page["results"]]

    assert [len(page["results"]) for page in pages] == [2, 2, 1]
    assert [row["due_at"] for row in rows] == sorted(row["due_at"] for row in rows)
    assert len({row["id"] for row in rows}) == 5


def test_an_empty_cursor_is_the_first_page(meetings):
    client = client_for(meetings["staff"])

    assert (
        client.get("/api/v1/meetings/", {"cursor": "", "limit": 3}).json()
        == client.get("/api/v1/meetings/", {"limit": 3}).json()
    )


def test_going_back_after_the_first_rows_were_deleted_lands_on_the_first_page(meetings):
    client = client_for(meetings["staff"])
    first = client.get("/api/v1/meetings/", {"limit": 5}).json()
    second = client.get(first["next"]).json()
    Meeting.objects.filter(pk__in=[row["id"] for row in first["results"]]).delete()

    back = client.get(second["previous"]).json()

    assert back["previous"] is None
    assert [row["id"] for row in back["results"]] == [row["id"] for row in second["results"]]
    assert back["next"] is not None


def test_a_list_is_not_paged_in_order_of_a_column_that_may_be_empty(rf):
    request = Request(rf.get("/api/v1/notifications/"))

    with pytest.raises(ValidationError) as refused:
        KeysetPagination().paginate_queryset(Notification.objects.order_by("sent_at"), request)

    assert refused.value.detail == {"ordering": ["This list cannot be paged in order of sent_at."]}


@pytest.mark.parametrize("asked", [{}, {"ordering": "starts_at"}], ids=["as it is", "in an order"])
def test_a_page_past_the_end_leads_back_to_the_page_before_it(meetings, asked):
    client = client_for(meetings["staff"])
    first = client.get("/api/v1/meetings/", {"limit": 7, **asked}).json()
    # Everything after the first page goes while the client holds its next link.
    Meeting.objects.exclude(pk__in=[row["id"] for row in first["results"]]).delete()

    past_the_end = client.get(first["next"]).json()
    back = client.get(past_the_end["previous"]).json()

    assert past_the_end["results"] == []
    assert past_the_end["next"] is None
    assert back["results"] == first["results"]


def cursors_and_rows(pages: list[dict]) -> list[tuple]:
    """Each page's rows and the cursors of its links (the links' other parameters aside)."""

    def cursor(link: str | None) -> list[str] | None:
        return link and parse_qs(urlsplit(link).query)["cursor"]

    return [(page["results"], cursor(page["next"]), cursor(page["previous"])) for page in pages]


@pytest.mark.parametrize("reader", ["staff", "mentor", "scholar", "nobody"])
@pytest.mark.parametrize("limit", [1, 3, 7, 50])
def test_the_list_as_it_is_gives_the_pages_its_queryset_gives(meetings, reader, limit):
    client = client_for(login_of(meetings, reader))
    # Asked for in its own order, the list is built by the ORM from its queryset, filter backends and all.
    forward = walk(client, "/api/v1/meetings/", {"limit": limit})
    forward_built = walk(client, "/api/v1/meetings/", {"limit": limit, "ordering": "starts_at"})
    back = walk(client, forward[-1]["previous"], {}, link="previous") if forward[-1]["previous"] else []
    back_built = (
        walk(client, forward_built[-1]["previous"], {}, link="previous")
        if forward_built[-1]["previous"]
        else []
    )

    assert cursors_and_rows(forward) == cursors_and_rows(forward_built)
    assert cursors_and_rows(back) == cursors_and_rows(back_built)
    seen = sum(len(page["results"]) for page in forward)
    assert seen == {"staff": 32, "mentor": 1, "scholar": 21, "nobody": 0}[reader]


def test_a_page_of_a_shape_read_before_compiles_no_statement(meetings, django_assert_num_queries):
    client = client_for(meetings["a"]["scholar"].user)
    first = client.get("/api/v1/meetings/", {"limit": 4}).json()
    client.get(first["next"])

    with mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql) as compiled:
        with django_assert_num_queries(1):
            again = client.get("/api/v1/meetings/", {"limit": 4}).json()
        with django_assert_num_queries(1):
            second = client.get(first["next"]).json()
        built = client.get("/api/v1/meetings/", {"limit": 4, "ordering": "starts_at"}).json()

    assert again == first
    assert len(second["results"]) == 4
    assert {row["id"] for row in second["results"]}.isdisjoint(row["id"] for row in first["results"])
    assert compiled.call_count == 1  # the list asked for in an order: the ORM's way
    assert built["results"] == first["results"]


def test_only_a_list_its_filter_backends_leave_as_it_is_reads_a_prepared_page(rf):
    def asked(view, **params) -> bool:
        return may_narrow(Request(rf.get("/api/v1/meetings/", params)), view)

    ordered_by_default = type("Ordered", (MeetingViewSet,), {"ordering": ["-starts_at"]})()
    own_backends = type("OwnBackends", (MeetingViewSet,), {"filter_backends": [OrderingFilter]})()

    assert not asked(MeetingViewSet(), limit="5", cursor="x", format="json")
    assert asked(MeetingViewSet(), mentor="1")
    assert asked(MeetingViewSet(), starts_after="2027-01-01T00:00:00Z")
    assert asked(MeetingViewSet(), ordering="starts_at")
    assert asked(MeetingViewSet(), search="x")
    assert asked(ordered_by_default)
    assert asked(own_backends)
