"""Celery tasks of the mentors app: thin wrappers that take ids and call services."""

from __future__ import annotations

from pathlib import Path

from celery import shared_task
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from mentors.models import StreamImportJob
from mentors.services import stream_import_job_run, stream_import_jobs_recover


@shared_task(ignore_result=True)
def import_stream_document_task(job_id: int) -> None:
    stream_import_job_run(job_id=job_id)


@shared_task(ignore_result=True)
def recover_lost_import_jobs() -> None:
    for job_id in stream_import_jobs_recover(now=timezone.now()):
        import_stream_document_task.delay(job_id)


def import_on_worker(*, name: str, data: bytes, requested_by: AbstractBaseUser | None) -> StreamImportJob:
    """The API's way to import a stream document: a queued job now, imported by a worker once the request's
    transaction commits (a large document takes longer to read than a web request should wait)."""
    job = StreamImportJob.objects.create(
        file_name=Path(name).name or "upload.txt", document=data, requested_by=requested_by
    )
    # Robust: a broker that is down must not turn the committed request into an error page; the job waits, queued,
    # and recover_lost_import_jobs enqueues it again once the broker is back.
    transaction.on_commit(lambda: import_stream_document_task.delay(job.pk), robust=True)
    return job
