import json
import re
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cohort.models import AuditEntry, Stream
from mentors.models import ImportWarning, Mentor
from mentors.stream_import import Outcome, import_stream_documents
from tests.bench.synthetic import synthetic_stream_document
from tests.factories import MentorFactory, UserFactory

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parents[1] / "cohort" / "data"


@pytest.fixture
def seed(tmp_path) -> Path:
    """A copy of the real seed that a test may edit."""
    return Path(shutil.copy(REPO / "seeds" / "interpretability.txt", tmp_path / "interpretability.txt"))


@pytest.fixture
def evaluations(tmp_path) -> Path:
    return Path(shutil.copy(DATA / "evaluations.txt", tmp_path / "evaluations.txt"))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def row_counts() -> tuple[int, int, int, int]:
    return (
        Stream.objects.count(),
        Mentor.objects.count(),
        Mentor.streams.through.objects.count(),
        ImportWarning.objects.count(),
    )


def open_warnings(stream_slug: str) -> list[tuple[str | None, str]]:
    return [
        (w.mentor.slug if w.mentor else None, w.code)
        for w in ImportWarning.objects.filter(stream__slug=stream_slug, resolved_at__isnull=True)
        .select_related("mentor")
        .order_by("mentor__slug", "code")
    ]


def test_import_creates_the_stream_and_its_mentors(seed):
    [report] = import_stream_documents([seed])

    stream = Stream.objects.get()
    assert (stream.slug, stream.title, stream.source_file) == (
        "interpretability",
        "Interpretability",
        "interpretability.txt",
    )
    assert list(stream.mentors.order_by("slug").values_list("slug", flat=True)) == [
        "adria-garriga-alonso",
        "alex-turner",
        "jessica-rumbelow",
        "lee-sharkey",
        "neel-nanda",
        "stephen-casper",
    ]
    assert report.outcome == Outcome.CREATED
    assert {m.outcome for m in report.mentors} == {Outcome.CREATED}


def test_import_stores_mentor_fields_sections_and_cadence(seed):
    import_stream_documents([seed])

    cas = Mentor.objects.get(slug="stephen-casper")
    assert (cas.name, cas.title, cas.organisation) == ("Stephen Casper", "PhD Student", "MIT AAG")
    assert cas.biography.startswith("Stephen (“Cas”) Casper is a Ph.D student at MIT")
    assert cas.sections[1]["text"] == "Some example works from Cas:"
    assert cas.sections[1]["children"][0] == {
        "text": "Specific research topics for research with MATS can be flexible depending on interest and fit. "
        "However, work will most likely involve one of three topics (or similar):",
        "children": [],
    }
    assert cas.cadence_value.is_specified
    assert Mentor.objects.get(slug="neel-nanda").cadence_value.needs_review


def test_import_stores_the_documents_warnings(seed):
    import_stream_documents([seed])

    assert open_warnings("interpretability") == [
        ("adria-garriga-alonso", "cadence_needs_review"),
        ("adria-garriga-alonso", "names_other_mentor"),
        ("jessica-rumbelow", "cadence_unspecified"),
        ("neel-nanda", "cadence_unspecified"),
        ("stephen-casper", "cadence_needs_review"),
        ("stephen-casper", "duplicated_text"),
    ]
    names = ImportWarning.objects.get(code="names_other_mentor")
    assert (names.source_file, names.line) == ("interpretability.txt", 275)


def test_a_passage_several_mentors_share_is_one_row_each_of_them_sees(seed):
    import_stream_documents([seed])

    copied = ImportWarning.objects.get(code="duplicated_text")
    adria = Mentor.objects.get(slug="adria-garriga-alonso")
    assert copied.mentor.slug == "stephen-casper"
    assert list(copied.shared_with.all()) == [adria]
    assert list(adria.shared_import_warnings.all()) == [copied]


def test_a_reimport_keeps_the_shared_passages_row_and_who_shares_it(seed):
    import_stream_documents([seed])
    copied = ImportWarning.objects.get(code="duplicated_text")

    import_stream_documents([seed])

    assert ImportWarning.objects.get(code="duplicated_text").pk == copied.pk
    assert list(copied.shared_with.values_list("slug", flat=True)) == ["adria-garriga-alonso"]


def test_a_staff_edited_cadence_drops_the_documents_doubts_about_it(seed):
    import_stream_documents([seed])
    Mentor.objects.filter(slug="adria-garriga-alonso").update(cadence_edited_by_staff=True)
    ImportWarning.objects.all().delete()

    import_stream_documents([seed])

    assert ("adria-garriga-alonso", "cadence_needs_review") not in open_warnings("interpretability")
    assert ("stephen-casper", "cadence_needs_review") in open_warnings("interpretability")


def test_reimport_of_the_same_files_changes_nothing(seed, evaluations):
    import_stream_documents([seed, evaluations])
    counts = row_counts()
    stamps = sorted(Mentor.objects.values_list("slug", "updated_at")) + sorted(
        Stream.objects.values_list("slug", "updated_at")
    )
    warning_rows = sorted(ImportWarning.objects.values_list("pk", "updated_at"))

    reports = import_stream_documents([seed, evaluations])

    assert row_counts() == counts
    assert (
        sorted(Mentor.objects.values_list("slug", "updated_at"))
        + sorted(Stream.objects.values_list("slug", "updated_at"))
        == stamps
    )
    assert sorted(ImportWarning.objects.values_list("pk", "updated_at")) == warning_rows
    assert [report.changed for report in reports] == [False, False]
    assert {m.outcome for report in reports for m in report.mentors} == {Outcome.UNCHANGED}


def test_editing_a_document_updates_only_what_changed(seed):
    import_stream_documents([seed])
    edit(seed, "Chief Strategy Officer, Apollo Research", "Co-founder, Apollo Research")

    [report] = import_stream_documents([seed])

    assert Mentor.objects.get(slug="lee-sharkey").title == "Co-founder"
    assert [(m.slug, m.outcome) for m in report.mentors if m.outcome != Outcome.UNCHANGED] == [
        ("lee-sharkey", Outcome.UPDATED)
    ]
    assert (report.outcome, Mentor.objects.count()) == (Outcome.UNCHANGED, 6)


def test_moving_text_down_the_file_refreshes_warning_lines_only(seed):
    import_stream_documents([seed])
    edit(seed, "Mentors\n", "\nMentors\n")

    [report] = import_stream_documents([seed])

    assert report.changed is False
    assert ImportWarning.objects.get(code="names_other_mentor").line == 276


def test_malformed_second_file_leaves_the_database_as_it_was(seed, tmp_path):
    import_stream_documents([seed])
    before = row_counts()
    edit(seed, "Chief Strategy Officer, Apollo Research", "Co-founder, Apollo Research")
    malformed = Path(shutil.copy(DATA / "no_title_line.txt", tmp_path / "alignment.txt"))

    with pytest.raises(CommandError) as error:
        call_command("import_seeds", str(seed), str(malformed), stdout=StringIO())

    assert str(error.value) == (
        f"{malformed}:16: mentor 'Daniel Brandt' has no title line: the line right after the name must read "
        "'Title, Organisation' (nothing was imported)"
    )
    assert row_counts() == before
    assert Mentor.objects.get(slug="lee-sharkey").title == "Chief Strategy Officer"


def test_file_that_is_not_utf8_is_a_command_error_naming_file_and_line(tmp_path):
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Café\n\nMentors\n".encode("latin-1"))

    with pytest.raises(CommandError) as error:
        call_command("import_seeds", str(latin1), stdout=StringIO())

    assert str(error.value) == (
        f"{latin1}:1: not valid UTF-8 (byte 0xE9 at column 4); save the file as UTF-8 (nothing was imported)"
    )
    assert row_counts() == (0, 0, 0, 0)


def test_two_documents_defining_the_same_stream_are_an_error(seed, tmp_path):
    twin = Path(shutil.copy(seed, tmp_path / "twin.txt"))

    with pytest.raises(CommandError) as error:
        call_command("import_seeds", str(seed), str(twin), stdout=StringIO())

    assert str(error.value) == (
        f"{twin}:1: stream 'Interpretability' is also defined by {seed} (nothing was imported)"
    )


def test_warning_fixed_in_the_document_is_removed(seed):
    import_stream_documents([seed])
    text = seed.read_text(encoding="utf-8")
    adria_starts = text.index("Adrià Garriga Alonso\n")
    adria_section = re.sub(r"\bCas\b", "Adrià", text[adria_starts:])
    seed.write_text(text[:adria_starts] + adria_section, encoding="utf-8")

    import_stream_documents([seed])

    assert ImportWarning.objects.filter(code="names_other_mentor").count() == 0


def test_resolved_warning_stays_resolved_when_it_recurs(seed):
    import_stream_documents([seed])
    ImportWarning.objects.filter(code="names_other_mentor").update(
        resolved_at=timezone.now(), resolved_by=UserFactory()
    )

    import_stream_documents([seed])

    assert ImportWarning.objects.filter(code="names_other_mentor").count() == 1
    assert ImportWarning.objects.get(code="names_other_mentor").is_resolved


def test_mentor_removed_from_the_document_is_kept_and_reported(seed):
    import_stream_documents([seed])
    text = seed.read_text(encoding="utf-8")
    seed.write_text(text[: text.index("Adrià Garriga Alonso\n")].rstrip() + "\n", encoding="utf-8")

    [report] = import_stream_documents([seed])

    assert Mentor.objects.filter(slug="adria-garriga-alonso", streams__slug="interpretability").exists()
    assert [(w.code, w.mentor_slug) for w in report.warnings if w.code == "mentor_removed"] == [
        ("mentor_removed", "adria-garriga-alonso")
    ]
    # Casper's cadence still needs review for the reader's own doubts; its copied text has gone with Adrià.
    assert open_warnings("interpretability") == [
        ("adria-garriga-alonso", "mentor_removed"),
        ("jessica-rumbelow", "cadence_unspecified"),
        ("neel-nanda", "cadence_unspecified"),
        ("stephen-casper", "cadence_needs_review"),
    ]
    assert "copied" not in ImportWarning.objects.get(code="cadence_needs_review").message


def test_a_cadence_a_reimport_restores_is_audited_as_the_systems(seed):
    import_stream_documents([seed])
    mentor = Mentor.objects.filter(cadence__demands__0__isnull=False).order_by("slug").first()
    as_read = mentor.cadence
    Mentor.objects.filter(pk=mentor.pk).update(cadence={})

    import_stream_documents([seed])

    [entry] = AuditEntry.objects.filter(action=AuditEntry.Action.CHANGED)
    assert (entry.actor, entry.target_id, set(entry.changes)) == (None, mentor.pk, {"cadence"})
    assert json.loads(entry.changes["cadence"][1]) == as_read


def test_staff_edited_cadence_is_kept_and_reported(seed):
    import_stream_documents([seed])
    staff_cadence = {
        "demands": [
            {"kind": "group", "per_week_min": 1, "per_week_max": 1, "duration_minutes": 60, "source": ""}
        ],
        "sources": [],
    }
    Mentor.objects.filter(slug="neel-nanda").update(cadence=staff_cadence, cadence_edited_by_staff=True)

    [report] = import_stream_documents([seed])

    assert Mentor.objects.get(slug="neel-nanda").cadence == staff_cadence
    neel = next(m for m in report.mentors if m.slug == "neel-nanda")
    assert neel.cadence == "group, weekly, 60 min"
    assert [w.code for w in neel.warnings] == ["cadence_kept"]
    assert ("neel-nanda", "cadence_unspecified") not in open_warnings("interpretability")


def test_mentor_listed_in_two_documents_joins_both_streams(seed, evaluations):
    edit(
        evaluations,
        "Priya Raghunathan\nIndependent Researcher",
        "Neel Nanda\nResearch Engineer, Google DeepMind",
    )

    import_stream_documents([seed, evaluations])

    neel = Mentor.objects.get(slug="neel-nanda")
    assert sorted(neel.streams.values_list("slug", flat=True)) == [
        "evaluations-red-teaming",
        "interpretability",
    ]
    assert neel.summary.startswith("Neel leads the mechanistic interpretability team")


def test_mentors_joining_a_second_stream_on_a_later_import_are_audited(seed, tmp_path):
    import_stream_documents([seed])
    second = Path(shutil.copy(seed, tmp_path / "interpretability-ii.txt"))
    edit(second, "Interpretability", "Interpretability II")

    import_stream_documents([second])

    entries = AuditEntry.objects.filter(action=AuditEntry.Action.CHANGED)
    assert entries.count() == Mentor.objects.count() == 6
    for entry in entries:
        assert set(entry.changes) == {"streams"}
        before, after = entry.changes["streams"]
        assert ("Interpretability II" in before, "Interpretability II" in after) == (False, True)


def test_existing_mentor_with_the_same_slug_is_updated_not_duplicated(seed):
    MentorFactory(slug="neel-nanda", name="N. Nanda", time_zone="Europe/London")

    import_stream_documents([seed])

    neel = Mentor.objects.get(slug="neel-nanda")
    assert (neel.name, neel.time_zone, Mentor.objects.count()) == ("Neel Nanda", "Europe/London", 6)


def test_command_imports_every_document_in_the_seeds_dir(settings, seed, evaluations):
    settings.SEEDS_DIR = seed.parent
    out = StringIO()

    call_command("import_seeds", stdout=out, no_color=True)

    output = out.getvalue()
    assert output.index("Evaluations & Red-Teaming (evaluations.txt): created") < output.index(
        "Interpretability (interpretability.txt): created"
    )
    assert "  Neel Nanda: created; cadence: unspecified — needs review\n" in output
    assert (
        "    ! names_other_mentor line 275: Adrià Garriga Alonso's section names “Cas”, as Stephen Casper "
        "is called in this document; check it was not copied from Stephen Casper's section.\n"
    ) in output
    assert Stream.objects.count() == 2


def test_command_with_no_documents_is_an_error(settings, tmp_path):
    settings.SEEDS_DIR = tmp_path

    with pytest.raises(CommandError) as error:
        call_command("import_seeds", stdout=StringIO())

    assert str(error.value) == f"no stream documents (*.txt) in {tmp_path}"


def import_queries(tmp_path: Path, mentors: int, first: int) -> int:
    path = tmp_path / f"stream-{mentors}.txt"
    path.write_text(
        synthetic_stream_document(
            mentors, title=f"Stream {mentors}", mentors=mentors, section_chars=400, first=first
        ),
        encoding="utf-8",
    )
    with CaptureQueriesContext(connection) as queries:
        import_stream_documents([path])
    return len(queries)


def test_an_imports_queries_do_not_grow_with_its_mentors(tmp_path):
    import_queries(
        tmp_path, 1, first=0
    )  # the first import also reads what Django then caches (content types)
    few = import_queries(tmp_path, 10, first=1)
    # Within one insert batch: SQLite binds at most 999 parameters, 35 mentors' worth of columns.
    many = import_queries(tmp_path, 30, first=11)

    assert many == few
    assert Mentor.objects.count() == 41
