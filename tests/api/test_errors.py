"""Bad input gets a field-level 400 in one shape; what the database would refuse is said before it is tried."""

import pytest

from mentors.models import ImportWarning
from scholars.models import Scholar
from tests.api.conftest import client_for
from tests.factories import CohortFactory, ScholarFactory, StreamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/api/v1/scholars/", "/api/v1/mentors/", "/api/v1/meetings/"])
def test_a_nul_character_in_a_search_is_a_400_naming_the_search_parameter(world, url):
    response = client_for(world["staff"]).get(url, {"search": "ab\x00c"})

    assert response.status_code == 400
    assert response.json() == {"search": ["Null characters are not allowed."]}


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ("99999999999999999999", "Must be between 1 and 200; got 99999999999999999999."),
        ("201", "Must be between 1 and 200; got 201."),
        ("0", "Must be between 1 and 200; got 0."),
        ("ten", "'ten' is not a whole number."),
    ],
)
def test_a_page_size_outside_one_to_two_hundred_is_a_400(world, limit, message):
    response = client_for(world["staff"]).get("/api/v1/meetings/", {"limit": limit})

    assert response.status_code == 400
    assert response.json() == {"limit": [message]}


def test_a_page_holds_at_most_the_asked_number_of_rows(world):
    response = client_for(world["staff"]).get("/api/v1/scholars/", {"limit": 1, "offset": 1})

    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert [row["id"] for row in response.json()["results"]] == [world["b"]["scholar"].pk]


def test_an_offset_past_what_a_database_counts_is_a_400(world):
    response = client_for(world["staff"]).get("/api/v1/scholars/", {"offset": str(2**63)})

    assert response.status_code == 400
    assert response.json() == {"offset": [f"Must be between 0 and {2**63 - 1}; got {2**63}."]}


def test_an_offset_on_a_list_paged_by_cursor_is_a_400(world):
    response = client_for(world["staff"]).get("/api/v1/meetings/", {"offset": "50"})

    assert response.status_code == 400
    assert response.json() == {
        "offset": ["This list pages by cursor: follow a page's next or previous link."]
    }


FOREIGN_CURSORS = {
    "not base64": "not-base64!",
    "not JSON": "bm90IGpzb24=",
    "not a date": "WyJub3QgYSBkYXRlIiwgMSwgZmFsc2UsIGZhbHNlXQ==",
    "too short": "WzFd",
    "no value": "W251bGwsIDEsIGZhbHNlLCBmYWxzZV0=",
    "before the first year": "WyIwMDAxLTAxLTAxVDAwOjAwOjAwKzAxOjAwIiwgMSwgZmFsc2UsIGZhbHNlXQ==",
    "after the last year": "WyI5OTk5LTEyLTMxVDIzOjU5OjU5LTA1OjAwIiwgMSwgZmFsc2UsIGZhbHNlXQ==",
    "no offset": "WyIyMDI3LTAyLTAxVDEwOjAwOjAwIiwgMSwgZmFsc2UsIGZhbHNlXQ==",
    "a row id past any": "WyIyMDI3LTAyLTAxVDEwOjAwOjAwKzAwOjAwIiwgMTg0NDY3NDQwNzM3MDk1NTE2MTYsIGZhbHNlLCBmYWxzZV0=",
}


# The list as it is (a statement compiled once) and asked for in its own order (built by the ORM).
@pytest.mark.parametrize("asked", [{}, {"ordering": "starts_at"}], ids=["as it is", "in an order"])
@pytest.mark.parametrize("cursor", FOREIGN_CURSORS.values(), ids=FOREIGN_CURSORS.keys())
def test_a_cursor_this_list_did_not_give_out_is_a_400(world, cursor, asked):
    response = client_for(world["staff"]).get("/api/v1/meetings/", {"cursor": cursor, **asked})

    assert response.status_code == 400
    assert response.json() == {
        "cursor": ["Not a cursor this list gave out: follow a page's next or previous link."]
    }


def test_an_instant_with_an_offset_the_database_cannot_store_is_read_in_utc(world):
    response = client_for(world["staff"]).get(
        "/api/v1/meetings/", {"starts_before": "0563-07-07T15:10:23-22:19"}
    )

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_an_instant_that_leaves_the_calendar_in_utc_is_a_400(world):
    response = client_for(world["staff"]).get(
        "/api/v1/meetings/", {"starts_after": "9999-12-31T23:59:59-05:00"}
    )

    assert response.status_code == 400
    assert response.json() == {
        "starts_after": ["9999-12-31T23:59:59-05:00 is outside the range of dates this API stores."]
    }


def test_deleting_a_cohort_that_has_scholars_is_a_409_saying_what_holds_it(world):
    response = client_for(world["staff"]).delete(f"/api/v1/cohorts/{world['cohort'].pk}/")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Cannot delete: still used by 2 scholars. Remove or reassign those first."
    }
    assert Scholar.objects.filter(cohort=world["cohort"]).count() == 2


def test_deleting_a_stream_that_has_a_scholar_is_a_409_in_the_singular():
    stream = StreamFactory()
    ScholarFactory(stream=stream, cohort=CohortFactory())
    response = client_for(UserFactory(is_staff=True)).delete(f"/api/v1/streams/{stream.pk}/")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Cannot delete: still used by 1 scholar. Remove or reassign those first."
    }


def test_an_unused_cohort_is_deleted(world):
    unused = CohortFactory()

    response = client_for(world["staff"]).delete(f"/api/v1/cohorts/{unused.pk}/")

    assert response.status_code == 204


def _warn_about(mentor) -> None:
    ImportWarning.objects.create(
        stream=mentor.streams.get(),
        mentor=mentor,
        code=ImportWarning.Code.NAMES_OTHER_MENTOR,
        message="This section names another mentor: check it was not copied.",
    )


@pytest.mark.parametrize("who", ["mentor", "scholar"])
def test_import_warnings_are_not_shown_to_mentors_or_scholars(world, who):
    mentor = world["a"]["mentor"]
    _warn_about(mentor)

    response = client_for(world["a"][who].user).get(f"/api/v1/mentors/{mentor.pk}/")

    assert response.status_code == 200
    assert response.json()["import_warnings"] == []


def test_staff_read_a_mentors_import_warnings(world):
    mentor = world["a"]["mentor"]
    _warn_about(mentor)

    response = client_for(world["staff"]).get(f"/api/v1/mentors/{mentor.pk}/")

    assert [w["message"] for w in response.json()["import_warnings"]] == [
        "This section names another mentor: check it was not copied."
    ]


def test_a_number_where_the_schema_says_string_is_a_field_error(world):
    response = client_for(world["staff"]).patch(
        f"/api/v1/streams/{world['a']['mentor'].streams.get().pk}/", {"description": 0}
    )

    assert response.status_code == 400
    assert response.json() == {"description": ["Not a valid string."]}


def test_a_number_for_a_slug_is_a_field_error(world):
    response = client_for(world["staff"]).post("/api/v1/streams/", {"slug": 0, "title": "Zero"})

    assert response.status_code == 400
    assert response.json() == {
        "slug": ['Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.']
    }
