"""Worker tasks of the cohort app."""

from __future__ import annotations

from celery import shared_task

from cohort.sign_in import sign_in_link_mail


@shared_task(ignore_result=True)
def mail_sign_in_link(email: str, next_path: str = "") -> None:
    """On the worker, so the page that asked answers as fast for an unknown address as for a known one."""
    sign_in_link_mail(email=email, next_path=next_path)
