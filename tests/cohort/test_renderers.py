"""The API's JSON renderer (orjson) writes what DRF's own renderer writes, and hands DRF what orjson cannot write."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
import math
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import renderers
from rest_framework.exceptions import ErrorDetail
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from cohort.renderers import JSONRenderer
from scheduling.models import Meeting

drf = renderers.JSONRenderer()
ours = JSONRenderer()


def test_the_api_renders_its_json_with_it():
    assert settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"][0] == "cohort.renderers.JSONRenderer"


def test_an_answer_of_every_kind_the_api_sends_is_written_by_orjson_byte_for_byte_as_drf_writes_it(
    monkeypatch,
):
    answer = ReturnDict(
        {
            "id": 7,
            "title": 'Réunion 1-on-1 \u2028 \u2029 "quoted" \\ \n \x00 🙂',
            "active": True,
            "notes": None,
            "rating": 3.25,
            "starts_at": dt.datetime(2027, 3, 28, 0, 30, tzinfo=dt.UTC),
            "moved_to": dt.datetime(2027, 3, 28, 2, 30, 0, 250, tzinfo=ZoneInfo("Europe/London")),
            "wall_clock": dt.datetime(2027, 3, 28, 1, 30),  # noqa: DTZ001  (a time in no zone, as the move API reads)
            "offset": dt.datetime(
                2027, 3, 28, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=-3, minutes=-30))
            ),
            "day": dt.date(2027, 3, 28),
            "at": dt.time(9, 15, 0, 5),
            "uid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
            "status": Meeting.Status.HELD,  # text and an enum
            "error": ErrorDetail("Not a cursor this list gave out.", code="invalid"),
            "results": ReturnList([{"nested": [1, 2, {"deep": []}]}, (3, 4)], serializer=None),
        },
        serializer=None,
    )
    expected = drf.render(answer)

    def refused(*args, **kwargs):
        raise AssertionError("handed to DRF's renderer")

    monkeypatch.setattr(renderers.JSONRenderer, "render", refused)

    assert ours.render(answer) == expected
    assert b"\\u2028 \\u2029" in expected  # escaped, as JavaScript needs
    assert b'"moved_to":"2027-03-28T02:30:00.000250+01:00"' in expected


@pytest.mark.parametrize(
    "value",
    [
        decimal.Decimal("1.50"),
        gettext_lazy("Meeting"),
        dt.timedelta(minutes=90),
        {1: "a key that is not text", None: "nor this", 2.5: "nor this"},
        2**64,  # past orjson's 64 bits
        -(2**63) - 1,
        {"a", "set"},
    ],
    ids=["decimal", "lazy text", "duration", "keys", "large", "small", "set"],
)
def test_what_orjson_refuses_is_written_by_drf(value):
    answer = {"value": value, "title": "Réunion \u2028"}

    assert ours.render(answer) == drf.render(answer)
    assert json.loads(ours.render(answer))  # and it is JSON


def test_an_indented_answer_asked_for_is_drfs():
    answer = {"results": [{"id": 1, "starts_at": dt.datetime(2027, 1, 4, 9, tzinfo=dt.UTC)}]}

    written = ours.render(answer, "application/json; indent=4", {})

    assert written == drf.render(answer, "application/json; indent=4", {})
    assert b'\n    "results"' in written
    assert ours.render(answer, None, {"indent": 2}) == drf.render(answer, None, {"indent": 2})


def test_what_drf_refuses_is_still_refused():
    @dataclasses.dataclass
    class Hidden:
        secret: str

    for answer, error in (
        ({"what": object()}, TypeError),
        ({"what": Hidden("a dataclass is never sent by accident")}, TypeError),
        ({"at": dt.time(9, tzinfo=dt.UTC)}, ValueError),  # JSON has no zone-aware times
    ):
        with pytest.raises(error):
            drf.render(answer)
        with pytest.raises(error):
            ours.render(answer)


def test_a_float_that_is_not_a_number_is_null_not_a_failed_request():
    with pytest.raises(ValueError, match="not JSON compliant"):
        drf.render({"average": math.nan})

    assert ours.render({"average": math.nan, "most": math.inf}) == b'{"average":null,"most":null}'


def test_nothing_is_an_empty_body():
    assert ours.render(None) == drf.render(None) == b""


@pytest.mark.parametrize(
    ("setting", "value", "sign"),
    [
        ("ensure_ascii", "Réunion", b'"value":"R\\u00e9union"'),
        ("compact", "Réunion", b'", "value": "'),
        ("strict", math.nan, b'"value":NaN'),
    ],
)
def test_other_settings_than_drfs_defaults_are_drfs(monkeypatch, setting, value, sign):
    """UNICODE_JSON, COMPACT_JSON and STRICT_JSON, which DRF's renderer reads as class attributes: ours inherits
    them."""
    monkeypatch.setattr(renderers.JSONRenderer, setting, not getattr(renderers.JSONRenderer, setting))
    answer = {"at": dt.datetime(2027, 1, 4, 9, tzinfo=dt.UTC), "value": value}

    written = ours.render(answer)

    assert written == drf.render(answer)
    assert sign in written


# Instants as the API's serializers hand them over: in UTC (cohort.serializers.InstantInUtcField), to the
# microsecond. Hypothesis takes its bounds without a zone: a day inside datetime's range, either side.
instants = st.datetimes(
    min_value=dt.datetime(1, 1, 2),  # noqa: DTZ001
    max_value=dt.datetime(9999, 12, 30),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)
# Any text, the line separators DRF escapes among it more often than chance would draw them.
texts = st.text(st.characters() | st.sampled_from("\u2028\u2029"))
scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | texts | instants | st.dates()
answers = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)


@given(answers)
def test_any_answer_without_floats_is_written_byte_for_byte_as_drf_writes_it(answer):
    assert ours.render(answer) == drf.render(answer)


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=8))
def test_floats_read_back_as_drf_writes_them(values):
    """orjson spells a float's exponent its own way (1e-7 for 1e-07): the same number, read back."""
    assert json.loads(ours.render(values)) == json.loads(drf.render(values)) == values
