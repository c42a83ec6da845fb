"""Stream-document imports through real parts: PostgreSQL, Redis and `celery worker` processes."""

import uuid

import pytest

from cohort.models import AuditEntry
from mentors.models import Mentor, StreamImportJob
from mentors.tasks import import_stream_document_task
from tests.bench.synthetic import synthetic_stream_document
from tests.integration.processes import celery_worker, wait_until
from tests.integration.servers import free_port

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_worker_imports_an_uploaded_document_once_however_often_its_job_is_enqueued(settings):
    queue = f"test-imports-{uuid.uuid4().hex[:12]}"
    document = synthetic_stream_document(7, title="Worker stream", mentors=40, section_chars=600)
    job = StreamImportJob.objects.create(file_name="worker.txt", document=document.encode())

    with celery_worker(broker_url=settings.CELERY_BROKER_URL, queue=queue, smtp_port=free_port()):
        for _ in range(2):  # a redelivered or twice-recovered job
            import_stream_document_task.apply_async((job.pk,), queue=queue)
        wait_until(
            lambda: StreamImportJob.objects.get(pk=job.pk).status in ("done", "failed"),
            timeout=120,
            what="the worker to import the document",
        )

    job.refresh_from_db()
    assert (job.status, job.report["stream"], bytes(job.document)) == ("done", "worker-stream", b"")
    assert len(job.report["mentors"]) == Mentor.objects.count() == 40
    # One import: each mentor's creation is audited once.
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CREATED).count() == 40
