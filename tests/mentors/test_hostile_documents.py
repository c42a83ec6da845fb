"""Documents built to break the importer: each is refused with `file:line: reason` and leaves every table the
importer writes as it was, on SQLite and on PostgreSQL alike (the suite's second pass runs these on PostgreSQL)."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cohort.models import AuditEntry, Stream
from cohort.stream_document import StreamDocumentError, WarningCode
from mentors.models import ImportWarning, Mentor, Suggestion
from mentors.stream_import import import_stream_documents, import_stream_upload

pytestmark = pytest.mark.django_db

HEADER = "Robustness\n\nA stream about robustness.\n\nMentors\n\n"
MENTOR = "Jane Doe\nResearcher, Acme Labs\n\nJane works on robustness.\n\n  • We meet weekly for 1-on-1s.\n"


def stored() -> dict[str, int]:
    """Row counts of every table an import writes."""
    return {
        "streams": Stream.objects.count(),
        "mentors": Mentor.objects.count(),
        "mentor streams": Mentor.streams.through.objects.count(),
        "warnings": ImportWarning.objects.count(),
        "shared warnings": ImportWarning.shared_with.through.objects.count(),
        "audit entries": AuditEntry.objects.count(),
        "suggestions": Suggestion.objects.count(),
    }


@pytest.fixture
def existing(tmp_path) -> dict[str, int]:
    """A stream already imported, so a refused document must also leave rows alone, not only add none."""
    path = tmp_path / "existing.txt"
    path.write_text("Existing\n\nAlready here.\n\nMentors\n\n" + MENTOR.replace("Jane Doe", "Ann Roe"))
    import_stream_documents([path])
    return stored()


def refused(text: str | bytes, name: str = "hostile.txt") -> StreamDocumentError:
    data = text if isinstance(text, bytes) else text.encode()
    with pytest.raises(StreamDocumentError) as error:
        import_stream_upload(name=name, data=data)
    return error.value


def test_a_nul_in_a_name_is_refused_at_its_line_and_column(existing):
    error = refused(HEADER + MENTOR.replace("Jane Doe", "Jane\x00Doe"))

    assert str(error) == (
        "hostile.txt:7: the control character U+0000 (NUL) at column 5; "
        "a document holds text, tabs and line breaks only"
    )
    assert stored() == existing


@pytest.mark.parametrize("character", ["\x01", "\x08", "\x0c", "\x1f", "\x7f", "\x9b"])
def test_control_characters_anywhere_are_refused(existing, character):
    error = refused(HEADER + MENTOR + f"\n  • Meetings {character}weekly.\n")

    assert (error.line, error.reason.startswith(f"the control character U+{ord(character):04X}")) == (
        14,
        True,
    )
    assert stored() == existing


def test_a_surrogate_encoded_in_the_file_is_refused_as_not_utf8(existing):
    error = refused((HEADER + MENTOR).encode() + b"\xed\xa0\x80\n")

    assert str(error) == "hostile.txt:13: not valid UTF-8 (byte 0xED at column 1); save the file as UTF-8"
    assert stored() == existing


def test_a_stream_title_over_200_characters_is_refused(existing):
    error = refused("R" * 201 + "\n\nA stream.\n\nMentors\n\n" + MENTOR)

    assert str(error) == (
        "hostile.txt:1: the stream's title is 201 characters long; at most 200 are kept, shorten it"
    )
    assert stored() == existing


def test_a_title_of_exactly_200_characters_is_imported():
    import_stream_upload(name="ok.txt", data=("R" * 200 + "\n\nA stream.\n\nMentors\n\n" + MENTOR).encode())

    assert Stream.objects.get().title == "R" * 200


def test_a_mentor_name_over_the_limit_is_refused(existing):
    error = refused(HEADER + MENTOR.replace("Jane Doe", "Jane " + "D" * 250))

    assert error.line == 7
    assert stored() == existing


def test_a_file_name_over_the_limit_is_refused(existing):
    error = refused(HEADER + MENTOR, name="n" * 252 + ".txt")

    assert (error.line, error.reason) == (
        1,
        "the file name is 256 characters long; at most 255 are kept, shorten it",
    )
    assert stored() == existing


def test_a_later_document_refused_leaves_the_earlier_ones_unwritten(existing, tmp_path):
    good, bad = tmp_path / "good.txt", tmp_path / "bad.txt"
    good.write_text(HEADER + MENTOR)
    bad.write_text("S" * 300 + "\n\nA stream.\n\nMentors\n\n" + MENTOR.replace("Jane Doe", "Bob Roe"))

    with pytest.raises(StreamDocumentError) as error:
        import_stream_documents([good, bad])

    assert (Path(error.value.filename).name, error.value.line) == ("bad.txt", 1)
    assert stored() == existing


def test_five_thousand_mentors_sharing_a_bullet_make_one_copied_text_warning():
    shared = "Every scholar keeps a research log, shares it each Friday and reads two papers every week."
    text = HEADER + "".join(
        f"Mentor{i} Person{i}\nResearcher, Lab {i}\n\nMentor{i} studies topic {i}.\n\n  • {shared}\n\n"
        for i in range(5000)
    )

    report = import_stream_upload(name="boilerplate.txt", data=text.encode())

    [copied] = ImportWarning.objects.filter(code=WarningCode.DUPLICATED_TEXT)
    assert copied.shared_with.count() == 4999
    assert "Mentor0 Person0, Mentor1 Person1 and 4998 others" in copied.message
    assert ImportWarning.objects.count() == 5001  # and one unspecified cadence each
    assert len(report.mentors) == 5000


def test_an_oversize_document_is_a_field_error_in_the_admin(admin_client, settings, existing):
    settings.STREAM_DOCUMENT_MAX_BYTES = 4096
    url = reverse("admin:mentors_importwarning_import")

    response = admin_client.post(url, {"document": SimpleUploadedFile("big.txt", b"x" * 5000)})

    assert response.status_code == 400
    assert list(response.context["form"].errors["document"]) == ["big.txt is 5 KB; at most 4 KB is taken."]
    assert stored() == existing


def test_a_nul_byte_is_a_field_error_in_the_admin(admin_client, existing):
    data = (HEADER + MENTOR.replace("Jane Doe", "Jane\x00Doe")).encode()
    url = reverse("admin:mentors_importwarning_import")

    response = admin_client.post(url, {"document": SimpleUploadedFile("nul.txt", data)})

    assert response.status_code == 400
    assert list(response.context["form"].errors["document"]) == [
        "Line 7: the control character U+0000 (NUL) at column 5; a document holds text, tabs and line breaks "
        "only. Nothing was imported."
    ]
    assert stored() == existing
