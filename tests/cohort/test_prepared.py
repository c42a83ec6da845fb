import datetime as dt

import pytest
from django.db import connection
from django.db.models import BigIntegerField, CharField, Count, DateField, Max, Sum
from django.db.models.sql.compiler import SQLCompiler, SQLUpdateCompiler
from django.test.utils import CaptureQueriesContext

from cohort.models import Cohort
from cohort.prepared import PreparedRead, PreparedUpdate, Slot, aggregated
from scholars.models import Scholar
from tests.factories import CohortFactory, ScholarFactory, UserFactory

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


def test_a_prepared_read_gives_what_its_queryset_gives_and_compiles_nothing_more(monkeypatch):
    CohortFactory(
        start_date=dt.date(2030, 1, 7), end_date=dt.date(2030, 3, 29), default_cadence={"per_week": 2}
    )
    CohortFactory(start_date=dt.date(2031, 1, 6), end_date=dt.date(2031, 3, 29))
    CohortFactory(start_date=dt.date(2032, 1, 5), end_date=dt.date(2032, 3, 29))
    fields = ("pk", "name", "start_date", "created_at", "default_cadence")
    statement = PreparedRead(
        Cohort.objects.filter(start_date__gte=Slot("from", DateField())).order_by("-start_date"), *fields
    )
    compiled = []
    compile_sql = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda *a, **k: compiled.append(1) or compile_sql(*a, **k))

    with CaptureQueriesContext(connection) as queries:
        read = [statement.run(**{"from": day}) for day in (dt.date(2031, 1, 1), dt.date(2029, 1, 1))]
    compiled_by_the_runs = len(compiled)

    # Instants (text on SQLite) and JSON come back as the queryset's converters give them.
    assert read == [
        list(Cohort.objects.filter(start_date__gte=day).order_by("-start_date").values_list(*fields))
        for day in (dt.date(2031, 1, 1), dt.date(2029, 1, 1))
    ]
    assert [len(rows) for rows in read] == [2, 3]
    assert read[1][2][4] == {"per_week": 2}
    assert read[1][2][3].tzinfo is not None
    assert (len(queries.captured_queries), compiled_by_the_runs) == (2, 0)


def test_a_prepared_read_of_all_the_columns_builds_whole_instances_and_one_of_some_builds_none():
    cohort = CohortFactory()
    by_pk = Cohort.objects.filter(pk=Slot("pk", BigIntegerField()))

    (whole,) = PreparedRead(by_pk).instances(pk=cohort.pk)

    expected = Cohort.objects.get(pk=cohort.pk)
    assert [getattr(whole, f.attname) for f in Cohort._meta.concrete_fields] == [
        getattr(expected, f.attname) for f in Cohort._meta.concrete_fields
    ]
    assert (whole._state.adding, whole._state.db, whole.get_deferred_fields()) == (False, "default", set())
    assert PreparedRead(by_pk).instances(pk=cohort.pk + 1000) == []
    # Values in an order of the caller's would land in other fields.
    with pytest.raises(TypeError, match="all the model's columns"):
        PreparedRead(by_pk, "name", "id").instances(pk=cohort.pk)


def test_a_prepared_read_of_whole_rows_brings_the_related_rows_select_related_names(
    django_assert_num_queries,
):
    signed_up = ScholarFactory(user=UserFactory())
    not_yet = ScholarFactory(user=None)
    rows = Scholar.objects.select_related("cohort", "user").filter(pk=Slot("pk", BigIntegerField()))
    statement = PreparedRead(rows)

    read = {}
    for scholar in (signed_up, not_yet):
        (read[scholar],) = statement.instances(pk=scholar.pk)
        expected = Scholar.objects.select_related("cohort", "user").get(pk=scholar.pk)
        with django_assert_num_queries(0):
            assert read[scholar].user == expected.user
            assert read[scholar].cohort == expected.cohort
            assert read[scholar].cohort.name == expected.cohort.name
            assert [getattr(read[scholar], f.attname) for f in Scholar._meta.concrete_fields] == [
                getattr(expected, f.attname) for f in Scholar._meta.concrete_fields
            ]
    assert (read[signed_up].user.username, read[not_yet].user) == (signed_up.user.username, None)


def test_a_prepared_read_knows_a_missing_reverse_one_to_one_without_a_query(django_assert_num_queries):
    scholar = ScholarFactory(user=UserFactory())  # a login with no mentor row
    rows = Scholar.objects.select_related("user__mentor").filter(pk=Slot("pk", BigIntegerField()))

    (read,) = PreparedRead(rows).instances(pk=scholar.pk)

    with django_assert_num_queries(0):
        assert not hasattr(
            read.user, "mentor"
        )  # Django's way of asking: its DoesNotExist is an AttributeError


def test_a_prepared_read_of_values_needs_its_fields_named():
    with pytest.raises(TypeError, match="name the fields"):
        PreparedRead(Cohort.objects.values("pk", "name"))


def test_a_prepared_read_drops_the_columns_only_its_ordering_selects():
    CohortFactory.create_batch(3)
    # DISTINCT with an order by a column not read: the compiler selects that column too.
    rows = Cohort.objects.order_by("-end_date").distinct()

    assert PreparedRead(rows, "pk").run() == list(rows.values_list("pk"))


def test_a_prepared_read_of_nothing_reads_nothing_and_one_without_its_slots_is_refused(
    django_assert_num_queries,
):
    CohortFactory()
    statement = PreparedRead(Cohort.objects.filter(slug=Slot("slug", CharField())), "pk")

    with pytest.raises(TypeError, match=r"no value for the slots \['slug'\]"):
        statement.run()
    with django_assert_num_queries(0):
        assert PreparedRead(Cohort.objects.filter(pk__in=[])).run() == []


def test_an_aggregate_prepared_as_a_read_gives_one_row_of_what_aggregate_gives():
    cohort, empty = CohortFactory.create_batch(2)
    ScholarFactory.create_batch(3, cohort=cohort)
    totals = {
        "scholars": Count("pk"),
        "streams": Count("stream", distinct=True),
        "latest": Max("updated_at"),
        "ids": Sum("pk"),
    }
    # Ordered, as a list is: an aggregate of the rows must not be.
    scholars_of = Scholar.objects.filter(cohort=Slot("cohort", BigIntegerField())).order_by("name")
    statement = PreparedRead(aggregated(scholars_of, **totals), *totals)

    for cohort_id in (cohort.pk, empty.pk):
        (row,) = statement.run(cohort=cohort_id)
        assert dict(zip(totals, row, strict=True)) == Scholar.objects.filter(cohort=cohort_id).aggregate(
            **totals
        )
    assert statement.run(cohort=empty.pk) == [(0, 0, None, None)]


@pytest.mark.parametrize(
    "rows",
    [
        Scholar.objects.all()[:2],
        Scholar.objects.distinct(),
        Scholar.objects.union(Scholar.objects.all()),
        Scholar.objects.values("cohort").annotate(n=Count("pk")),
        Scholar.objects.annotate(teams_led=Count("teams")),
    ],
    ids=["sliced", "distinct", "combined", "grouped", "aggregated"],
)
def test_an_aggregate_of_rows_aggregate_reads_through_a_subquery_is_refused(rows):
    with pytest.raises(TypeError, match="Cannot prepare an aggregate"):
        aggregated(rows, scholars=Count("pk"))
