"""A scholar's default working hours pass Django's system checks at any time of day."""

import datetime as dt

import pytest
from django.db.models import fields

from scholars.models import Scholar


@pytest.mark.parametrize("clock", [dt.time(9, 0, 3), dt.time(17, 0, 0)])
def test_the_default_hours_are_no_mistaken_now_even_at_nine_or_five(monkeypatch, clock):
    # Django takes a fixed time default within ten seconds of its naive clock for a mistaken "now" (fields.W161).
    monkeypatch.setattr(fields, "_get_naive_now", lambda: dt.datetime.combine(dt.date(2026, 12, 3), clock))

    warnings = [
        warning for name in ("work_start", "work_end") for warning in Scholar._meta.get_field(name).check()
    ]

    assert [warning.id for warning in warnings] == []
    assert (Scholar().work_start, Scholar().work_end) == (dt.time(9), dt.time(17))
