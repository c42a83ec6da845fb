"""Stream documents through the API: uploaded, imported on a worker (eagerly here), polled until done."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cohort.models import AuditEntry, Stream
from mentors import services
from mentors.models import ImportWarning, Mentor, StreamImportJob
from mentors.services import mentor_logins_create
from mentors.tasks import recover_lost_import_jobs
from tests.admin.conftest import logged_in
from tests.api.conftest import client_for
from tests.factories import MentorFactory, UserFactory

pytestmark = pytest.mark.django_db

DOCUMENT = (
    "Robustness\n\nA stream.\n\nMentors\n\n"
    "Jane Doe\nResearcher, Acme Labs\n\nJane works on robustness.\n\n  • We meet weekly for 1-on-1s.\n"
)


@pytest.fixture
def staff():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def on_worker(settings, django_capture_on_commit_callbacks):
    """Run each queued job as its request commits, as a worker would moments later."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    return lambda: django_capture_on_commit_callbacks(execute=True)


def upload(client, data: bytes, name: str = "robustness.txt"):
    document = io.BytesIO(data)
    document.name = name
    return client.post("/api/v1/stream-documents/", {"document": document}, format="multipart")


def stored() -> tuple[int, ...]:
    return (
        Stream.objects.count(),
        Mentor.objects.count(),
        ImportWarning.objects.count(),
        AuditEntry.objects.count(),
    )


def test_an_upload_is_queued_and_polled_until_its_report(staff, on_worker):
    client = client_for(staff)

    with on_worker():
        started = upload(client, DOCUMENT.encode())

    assert started.status_code == 202
    assert started.json()["status"] == "queued"
    polled = client.get(started.json()["url"])
    assert polled.status_code == 200
    body = polled.json()
    assert (body["status"], body["file_name"]) == ("done", "robustness.txt")
    assert body["report"] == {
        "stream": "robustness",
        "changed": True,
        "mentors": [{"slug": "jane-doe", "outcome": "created", "cadence": "1-on-1, weekly"}],
        "warnings": [],
    }
    assert StreamImportJob.objects.get().document == b""  # the bytes are not kept once imported


def test_a_queued_job_says_so_until_a_worker_runs_it(staff):
    client = client_for(staff)

    started = upload(client, DOCUMENT.encode())

    polled = client.get(started.json()["url"]).json()
    assert (polled["status"], polled["report"], polled["document"]) == ("queued", None, None)
    assert bytes(StreamImportJob.objects.get().document) == DOCUMENT.encode()


def test_a_malformed_document_fails_its_job_naming_the_line(staff, on_worker):
    client = client_for(staff)

    with on_worker():
        started = upload(client, b"Stream title\n\nDescription.\n\nNot the mentors line\n", "broken.txt")

    body = client.get(started.json()["url"]).json()
    assert body["status"] == "failed"
    assert body["line"] == 5
    assert body["document"] == ["line 5: no 'Mentors' line: the mentors must follow a line reading 'Mentors'"]
    assert stored() == (0, 0, 0, 0)


def test_a_fault_in_the_reader_fails_the_job_instead_of_an_error_page(staff, on_worker, monkeypatch):
    def broken_reader(**kwargs):
        raise ValueError("9.0 meetings a week is more than one a day")

    monkeypatch.setattr(services, "import_stream_upload", broken_reader)
    client = client_for(staff)

    with on_worker():
        started = upload(client, DOCUMENT.encode())

    body = client.get(started.json()["url"]).json()
    assert body["status"] == "failed"
    job = StreamImportJob.objects.get()
    # The exception's own words stay in the log, not in what the client reads.
    assert body["document"] == [
        f"the document could not be read; staff can find the error in the log (job {job.pk})"
    ]


def test_a_nul_byte_fails_the_job_with_its_line_and_column(staff, on_worker):
    client = client_for(staff)

    with on_worker():
        started = upload(client, DOCUMENT.replace("Jane Doe", "Jane\x00Doe").encode())

    body = client.get(started.json()["url"]).json()
    assert body["document"] == [
        "line 7: the control character U+0000 (NUL) at column 5; a document holds text, tabs and line breaks only"
    ]
    assert stored() == (0, 0, 0, 0)


def test_an_oversize_upload_is_413_with_the_limit_and_the_size(staff, settings):
    settings.STREAM_DOCUMENT_MAX_BYTES = 100

    response = upload(client_for(staff), b"x" * 101)

    assert response.status_code == 413
    assert response.json() == {
        "detail": "The document is 101 bytes; at most 100 bytes are taken.",
        "limit_bytes": 100,
        "size_bytes": 101,
    }
    assert not StreamImportJob.objects.exists()


def test_a_20_mb_upload_is_refused_before_it_is_read(staff):
    client = client_for(staff)

    with CaptureQueriesContext(connection):
        response = upload(client, b"x" * (20 * 1024 * 1024))

    assert response.status_code == 413
    assert response.json()["limit_bytes"] == 2 * 1024 * 1024
    assert not StreamImportJob.objects.exists()


def test_a_mentor_can_neither_upload_nor_read_a_job(staff, on_worker):
    with on_worker():
        started = upload(client_for(staff), DOCUMENT.encode())
    mentor_login = UserFactory(is_staff=True)
    Mentor.objects.filter(slug="jane-doe").update(user=mentor_login)

    mentor = client_for(mentor_login)

    assert upload(mentor, DOCUMENT.encode()).status_code == 403
    assert mentor.get(started.json()["url"]).status_code == 403


def test_a_job_whose_enqueue_was_lost_is_queued_again_and_then_imported(staff, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    started = upload(client_for(staff), DOCUMENT.encode())  # no worker ran it: its enqueue is as good as lost
    job = StreamImportJob.objects.get(pk=started.json()["id"])
    made = job.created_at

    assert services.stream_import_jobs_recover(now=made + dt.timedelta(minutes=4)) == []
    recover_lost_import_jobs.apply(kwargs={})  # beat's task, now: the job is too young to be called lost
    assert StreamImportJob.objects.get(pk=job.pk).status == "queued"
    StreamImportJob.objects.filter(pk=job.pk).update(created_at=made - services.IMPORT_JOB_ENQUEUE_GRACE)

    recover_lost_import_jobs.apply(kwargs={})

    job.refresh_from_db()
    assert (job.status, job.report["stream"]) == ("done", "robustness")


def test_a_job_whose_worker_died_is_failed_with_a_reason_and_its_bytes_dropped(staff, settings):
    started = upload(client_for(staff), DOCUMENT.encode())
    job = StreamImportJob.objects.get(pk=started.json()["id"])
    StreamImportJob.objects.filter(pk=job.pk).update(status="running")
    gone = (
        job.updated_at
        + dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
        + services.IMPORT_JOB_ENQUEUE_GRACE
    )

    assert services.stream_import_jobs_recover(now=gone - dt.timedelta(seconds=1)) == []
    assert StreamImportJob.objects.get(pk=job.pk).status == "running"
    assert services.stream_import_jobs_recover(now=gone + dt.timedelta(seconds=1)) == []

    job.refresh_from_db()
    assert (job.status, bytes(job.document)) == ("failed", b"")
    assert "upload it again" in client_for(staff).get(started.json()["url"]).json()["document"][0]
    assert stored() == (0, 0, 0, 0)


def test_staff_see_each_jobs_outcome_in_the_admin_and_a_mentor_does_not(staff, on_worker):
    client = client_for(staff)
    with on_worker():
        upload(client, DOCUMENT.encode())
        upload(client, b"no mentors here\n", name="broken.txt")
    mentor = MentorFactory(email="ada@example.org")
    mentor_logins_create(mentors=[mentor], invite=False)
    mentor.refresh_from_db()

    listed = logged_in(staff).get(reverse("admin:mentors_streamimportjob_changelist")).content.decode()
    refused = logged_in(mentor.user).get(reverse("admin:mentors_streamimportjob_changelist"))

    assert "robustness: 1 mentor, 0 warnings" in listed
    assert "Line 1: no &#x27;Mentors&#x27; line" in listed
    assert refused.status_code == 403
