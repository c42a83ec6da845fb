import datetime as dt

import pytest
from django.db import connection
from django.db.models import CharField, DateField
from django.db.models.sql.compiler import SQLUpdateCompiler
from django.test.utils import CaptureQueriesContext

from cohort.models import Cohort
from cohort.prepared import PreparedUpdate, Slot
from tests.factories import CohortFactory

pytestmark = pytest.mark.django_db


def test_a_prepared_update_runs_with_each_runs_values_and_compiles_nothing_more(monkeypatch):
    first, second, untouched = CohortFactory.create_batch(3)
    statement = PreparedUpdate(
        Cohort.objects.filter(slug=Slot("slug", CharField())), end_date=Slot("end", DateField())
    )
    compiled = []
    compile_sql = SQLUpdateCompiler.as_sql
    monkeypatch.setattr(
        SQLUpdateCompiler, "as_sql", lambda *a, **k: compiled.append(1) or compile_sql(*a, **k)
    )

    with CaptureQueriesContext(connection) as queries:
        updated = [
            statement.run(slug=first.slug, end=dt.date(2031, 1, 2)),
            statement.run(slug=second.slug, end=dt.date(2032, 3, 4)),
            statement.run(slug="no-such-cohort", end=dt.date(2033, 5, 6)),
        ]

    assert updated == [1, 1, 0]
    assert len(queries.captured_queries) == 3
    assert compiled == []
    ends = dict(Cohort.objects.values_list("pk", "end_date"))
    assert ends == {
        first.pk: dt.date(2031, 1, 2),
        second.pk: dt.date(2032, 3, 4),
        untouched.pk: untouched.end_date,
    }


def test_a_prepared_update_refuses_to_run_without_a_value_for_each_slot_and_ignores_others():
    cohort = CohortFactory()
    statement = PreparedUpdate(Cohort.objects.filter(slug=Slot("slug", CharField())), name="Renamed")

    with pytest.raises(TypeError, match=r"no value for the slots \['slug'\]"):
        statement.run(name="unused")

    assert statement.run(slug=cohort.slug, unused="anything") == 1
    cohort.refresh_from_db()
    assert cohort.name == "Renamed"


def test_a_prepared_update_of_nothing_updates_nothing_and_a_sliced_one_is_refused():
    cohort = CohortFactory()

    assert PreparedUpdate(Cohort.objects.filter(pk__in=[]), name="Renamed").run() == 0
    with pytest.raises(TypeError, match="sliced"):
        PreparedUpdate(Cohort.objects.all()[:1], name="Renamed")

    cohort.refresh_from_db()
    assert cohort.name != "Renamed"
