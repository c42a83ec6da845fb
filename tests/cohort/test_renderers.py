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
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from cohort.renderers import JSONRenderer

drf = renderers.JSONRenderer()
ours = JSONRenderer()


def test_the_api_renders_its_json_with_it():
    assert settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"][0] == "cohort.renderers.JSONRenderer"


def test_an_answer_of_every_kind_the_api_sends_is_written_byte_for_byte_as_drf_writes_it():
    answer = ReturnDict(
        {
            "id": 7,
            "title": 'Réunion 1-on-1 \u2028 \u2029 "quoted" \\ \n 🙂',
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
            "length": dt.timedelta(minutes=90),
            "amount": decimal.Decimal("1.50"),
            "label": gettext_lazy("Meeting"),
            "uid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
            "results": ReturnList([{"nested": [1, 2, {"deep": []}]}, (3, 4)], serializer=None),
        },
        serializer=None,
    )

    assert ours.render(answer) == drf.render(answer)


def test_an_indented_answer_asked_for_is_drfs():
    answer = {"results": [{"id": 1, "starts_at": dt.datetime(2027, 1, 4, 9, tzinfo=dt.UTC)}]}

    written = ours.render(answer, "application/json; indent=4", {})

    assert written == drf.render(answer, "application/json; indent=4", {})
    assert b'\n    "results"' in written
    assert ours.render(answer, None, {"indent": 2}) == drf.render(answer, None, {"indent": 2})


@pytest.mark.parametrize(
    "answer",
    [
        {1: "a key that is not text", None: "nor this", 2.5: "nor this"},
        {"count": 2**64},  # past orjson's 64 bits
        {"count": -(2**63) - 1},
    ],
    ids=["keys", "large", "small"],
)
def test_what_orjson_refuses_is_written_by_drf(answer):
    assert ours.render(answer) == drf.render(answer)
    assert json.loads(ours.render(answer))  # and it is JSON


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
    ("setting", "sign"), [("ensure_ascii", b"R\\u00e9union"), ("compact", b'", "at": "')]
)
def test_other_settings_than_drfs_defaults_are_drfs(monkeypatch, setting, sign):
    """UNICODE_JSON and COMPACT_JSON, which DRF's renderer reads as class attributes: ours inherits them."""
    monkeypatch.setattr(renderers.JSONRenderer, setting, not getattr(renderers.JSONRenderer, setting))
    answer = {"title": "Réunion", "at": dt.datetime(2027, 1, 4, 9, tzinfo=dt.UTC)}

    written = ours.render(answer)

    assert written == drf.render(answer)
    assert sign in written


# Instants as the API's serializers hand them over: in UTC (cohort.serializers.UtcInstantField), to the microsecond.
# Hypothesis takes its bounds without a zone: a day inside datetime's range either side, in any zone.
instants = st.datetimes(
    min_value=dt.datetime(1, 1, 2),  # noqa: DTZ001
    max_value=dt.datetime(9999, 12, 30),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)
scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text() | instants | st.dates()
answers = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(answers)
def test_any_answer_without_floats_is_written_byte_for_byte_as_drf_writes_it(answer):
    assert ours.render(answer) == drf.render(answer)


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=8))
def test_floats_read_back_as_drf_writes_them(values):
    """orjson spells a float's exponent its own way (1e-7 for 1e-07): the same number, read back."""
    assert json.loads(ours.render(values)) == json.loads(drf.render(values)) == values
