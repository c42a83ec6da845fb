"""Pair health findings: kept in step with what the rules find, told once, acknowledged and resolved by staff.

``cohort_health_sync`` runs in the periodic pass (every 15 minutes on the tick worker, and in
``send_due_notifications``); it is idempotent, and one cohort's passes take turns (the cohort's row is locked), so
two workers never open the same finding twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cohort.models import Cohort
from cohort.services import RowChange, acting_user, audit_write, row_snapshot
from mentors.models import Mentor
from scheduling import pair_health
from scheduling.compliance import (
    cancellation_records,
    check_in_records,
    health_thresholds,
    pair_records,
)
from scheduling.models import HealthFinding, Notification
from scheduling.notifications.rows import (
    Channel,
    Kind,
    Wanted,
    WriteReport,
    person_channels,
    person_key,
    recipient_fields,
    staff_alert_emails,
    write_rows,
)
from scheduling.notifications.webhooks import findings_opened_write

logger = logging.getLogger(__name__)

Status = HealthFinding.Status
RECOVERED = "Resolved by itself: the rule no longer finds it."


@dataclass(frozen=True)
class HealthSync:
    opened: int = 0
    cleared: int = 0
    notices: WriteReport = field(default_factory=WriteReport)

    def __add__(self, other: HealthSync) -> HealthSync:
        return HealthSync(
            self.opened + other.opened, self.cleared + other.cleared, self.notices + other.notices
        )


def cohort_findings(*, cohort: Cohort, as_of: dt.datetime) -> list[pair_health.Finding]:
    """What the rules find in a cohort now, by its own thresholds (a fixed number of queries); nothing before the
    cohort starts or once it is over, when there is nothing left to act on."""
    today = as_of.astimezone(ZoneInfo(cohort.time_zone)).date()
    if not cohort.start_date <= today <= cohort.end_date:
        return []
    thresholds = health_thresholds(cohort)
    return pair_health.findings(
        thresholds=thresholds,
        today=today,
        pairs=pair_records(cohort=cohort, as_of=as_of),
        check_ins=check_in_records(cohort=cohort, as_of=as_of),
        cancellation_records=cancellation_records(
            cohort=cohort, as_of=as_of, of_last=thresholds.cancelled_of_last
        ),
    )


@transaction.atomic
def cohort_health_sync(*, cohort: Cohort, as_of: dt.datetime | None = None) -> HealthSync:
    """Bring the cohort's live findings in line with what the rules find at ``as_of``.

    New findings are opened and told (staff, and the mentor the rule names); live ones the rules still find keep
    their row, status and notice, with their summary brought up to date; live ones they no longer find clear, and
    resolve themselves unless staff resolved them already.
    """
    as_of = as_of or timezone.now()
    list(Cohort.objects.select_for_update().filter(pk=cohort.pk).values_list("pk"))
    if HealthFinding.objects.filter(Q(opened_at__gt=as_of) | Q(cleared_at__gt=as_of), cohort=cohort).exists():
        # A pass never goes back in time (``send_due_notifications --as-of`` an earlier instant): it would clear
        # what a later pass found, and tell it again after.
        logger.warning(
            "Pair health of %s not checked as of %s: a pass ran at a later instant (a fast-forward?); it checks "
            "again once that instant has passed.",
            cohort,
            as_of.isoformat(),
        )
        return HealthSync()
    found = {(f.rule.value, f.subject): f for f in cohort_findings(cohort=cohort, as_of=as_of)}
    # Locked, so a staff member acknowledging or resolving one meanwhile waits, and is never written over.
    live = {
        (row.rule, row.subject): row
        for row in HealthFinding.objects.select_for_update().filter(cohort=cohort, cleared_at=None)
    }

    cleared = [row for key, row in live.items() if key not in found]
    for row in cleared:
        row.cleared_at = as_of
        if row.status != Status.RESOLVED:
            row.status, row.resolved_at, row.resolved_by, row.resolution_note = (
                Status.RESOLVED,
                as_of,
                None,
                RECOVERED,
            )
    HealthFinding.objects.bulk_update(
        cleared, ["cleared_at", "status", "resolved_at", "resolved_by", "resolution_note"]
    )
    # Still found: its words and whom it concerns follow the data (a scholar's primary mentor may have changed).
    changed, handed_over = [], []
    for key, row in live.items():
        if key in found:
            now = (found[key].summary, found[key].details, found[key].mentor_id)
            if (row.summary, row.details, row.mentor_id) != now:
                if row.mentor_id != found[key].mentor_id:
                    handed_over.append(row)
                row.summary, row.details, row.mentor_id = now
                changed.append(row)
    HealthFinding.objects.bulk_update(changed, ["summary", "details", "mentor"])
    opened = HealthFinding.objects.bulk_create(
        HealthFinding(
            cohort=cohort,
            rule=finding.rule.value,
            subject=finding.subject,
            mentorship_id=finding.mentorship_id,
            mentor_id=finding.mentor_id,
            scholar_id=finding.scholar_id,
            summary=finding.summary,
            details=finding.details,
            opened_at=as_of,
        )
        for key, finding in found.items()
        if key not in live
    )
    notices = (
        _tell(opened, found, as_of=as_of)
        + _tell(handed_over, found, as_of=as_of, staff_too=False)
        + findings_opened_write(findings=opened)
    )
    return HealthSync(opened=len(opened), cleared=len(cleared), notices=notices)


def _tell(
    opened: list[HealthFinding], found: dict, *, as_of: dt.datetime, staff_too: bool = True
) -> WriteReport:
    """One notice per finding and recipient: staff's addresses (unless told already: a finding handed over to a
    scholar's new primary mentor), and the mentor's channels when the rule says so. Keyed by the finding and the
    recipient, so none is written (or sent) twice."""
    if not opened:
        return WriteReport()
    staff = staff_alert_emails() if staff_too else []
    if staff_too and not staff:
        logger.warning(
            "%d new health findings but no staff address to tell: set STAFF_ALERT_EMAILS or give a staff user an "
            "email address.",
            len(opened),
        )
    mentors = Mentor.objects.in_bulk({row.mentor_id for row in opened if row.mentor_id})
    rows = []
    for finding in opened:
        rows += [
            _notice(finding, f"to={email}", Channel.EMAIL, as_of, recipient_email=email) for email in staff
        ]
        mentor = mentors.get(finding.mentor_id)
        if mentor is not None and found[finding.rule, finding.subject].tell_mentor:
            rows += [
                _notice(
                    finding, f"{person_key(mentor)}:{channel}", channel, as_of, **recipient_fields(mentor)
                )
                for channel in person_channels(mentor)
            ]
    return write_rows(Wanted(row, creatable=True) for row in rows)


def _notice(
    finding: HealthFinding, recipient_key: str, channel: str, due_at: dt.datetime, **recipient
) -> Notification:
    return Notification(
        kind=Kind.HEALTH_FINDING,
        channel=channel,
        dedupe_key=f"{Kind.HEALTH_FINDING}:finding={finding.pk}:{recipient_key}",
        due_at=due_at,
        payload={"finding_id": finding.pk, "rule": finding.rule},
        **recipient,
    )


def running_cohorts(as_of: dt.datetime) -> Q:
    """Cohorts running at ``as_of``, with a day's margin for zones: a cohort still runs on its last local day
    wherever that is."""
    day = as_of.date()
    return Q(start_date__lte=day + dt.timedelta(days=1), end_date__gte=day - dt.timedelta(days=1))


def running_cohorts_health_sync(*, as_of: dt.datetime) -> HealthSync:
    """Every cohort running at ``as_of``, and every cohort that still has live findings (so the findings of a
    cohort just over clear)."""
    cohorts = Cohort.objects.filter(
        running_cohorts(as_of) | Q(health_findings__cleared_at__isnull=True, health_findings__isnull=False)
    ).distinct()
    total = HealthSync()
    for cohort in cohorts.order_by("pk"):
        total += cohort_health_sync(cohort=cohort, as_of=as_of)
    return total


def _staff_write(
    finding: HealthFinding, *, by: AbstractBaseUser | None, reason: str, **fields: object
) -> HealthFinding:
    before = row_snapshot(finding)
    for name, value in fields.items():
        setattr(finding, name, value)
    finding.save(update_fields=[*fields, "updated_at"])
    audit_write(
        changes=[RowChange.of(finding, before=before, cohort_ids=[finding.cohort_id])], by=by, reason=reason
    )
    return finding


@transaction.atomic
def finding_acknowledge(*, finding: HealthFinding, by: AbstractBaseUser | None) -> HealthFinding:
    """Staff have seen it and are on it: it stays on the dashboard, marked so, until it resolves."""
    finding = HealthFinding.objects.select_for_update().get(pk=finding.pk)
    if finding.status != Status.OPEN:
        raise ValidationError(
            {"status": f"Only an open finding can be acknowledged; this one is {finding.status}."}
        )
    return _staff_write(
        finding,
        by=by,
        reason="Acknowledged.",
        status=Status.ACKNOWLEDGED,
        acknowledged_at=timezone.now(),
        acknowledged_by=acting_user(by),
    )


@transaction.atomic
def finding_resolve(*, finding: HealthFinding, by: AbstractBaseUser | None, note: str = "") -> HealthFinding:
    """Staff settle it, saying how. While the rule still finds the same trouble it stays resolved; once the data
    has recovered, the same trouble again is a new finding."""
    finding = HealthFinding.objects.select_for_update().get(pk=finding.pk)
    if finding.status == Status.RESOLVED:
        raise ValidationError({"status": "This finding is already resolved."})
    return _staff_write(
        finding,
        by=by,
        reason=note or "Resolved.",
        status=Status.RESOLVED,
        resolved_at=timezone.now(),
        resolved_by=acting_user(by),
        resolution_note=note,
    )
