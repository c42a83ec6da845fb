"""Reading a person's own calendar through the real fetch path, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl

import icalendar
import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.exceptions import ValidationError
from django.db import connection

from cohort import encryption, outbound
from scheduling.services import materialise
from scholars import calendar_sources
from scholars.busy_calendar import BusyInterval
from scholars.calendar_sources import (
    MAX_SOURCES_PER_PERSON,
    OWN_EVENT_UID_SUFFIX,
    calendar_source_add,
    calendar_source_read,
    calendar_source_set_url,
    calendar_sources_due,
)
from scholars.models import BusyBlock, CalendarSource
from scholars.services import scholar_preferences_update
from tests.factories import MentorFactory, ScholarFactory
from tests.integration.servers import CalendarRoute, calendar_server
from tests.scholars.calendar_files import CALENDARS, FILE_CASES

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 10, 20, 8, 0, tzinfo=dt.UTC)
UTC = dt.UTC

# Europe/London: BST (UTC+1) until 25 October 2026, then GMT. A weekly event at 10:00 London time is 09:00 UTC
# before the change and 10:00 UTC after it. The titles are what must never be stored.
CALENDAR = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Google Inc//Google Calendar 70.9054//EN\r
X-WR-CALNAME:Ada Work\r
X-WR-TIMEZONE:Europe/London\r
BEGIN:VEVENT\r
DTSTART;TZID=Europe/London:20261020T100000\r
DTEND;TZID=Europe/London:20261020T110000\r
RRULE:FREQ=WEEKLY;COUNT=3\r
UID:weekly@example.org\r
SUMMARY:Oncology follow-up (private)\r
LOCATION:Royal Marsden Hospital\r
DESCRIPTION:Bring the scan results\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART:20261022T140000Z\r
DTEND:20261022T150000Z\r
UID:free@example.org\r
SUMMARY:Optional seminar\r
TRANSP:TRANSPARENT\r
END:VEVENT\r
END:VCALENDAR\r
"""
SECRET_WORDS = ("Oncology", "Marsden", "scan results", "Optional seminar", "Ada Work")
WEEKLY_BUSY = [
    (dt.datetime(2026, 10, 20, 9, 0, tzinfo=UTC), dt.datetime(2026, 10, 20, 10, 0, tzinfo=UTC)),  # BST
    (dt.datetime(2026, 10, 27, 10, 0, tzinfo=UTC), dt.datetime(2026, 10, 27, 11, 0, tzinfo=UTC)),  # GMT
    (dt.datetime(2026, 11, 3, 10, 0, tzinfo=UTC), dt.datetime(2026, 11, 3, 11, 0, tzinfo=UTC)),
]


@pytest.fixture
def loopback_calendars(settings) -> None:
    """The outbound policy refuses loopback addresses; the tests' calendar host lives on one."""
    settings.OUTBOUND_ALLOW_LOOPBACK_FOR_TESTS = True
    settings.CALENDAR_TIMEOUT_SECONDS = 2


@pytest.fixture
def server(loopback_calendars):
    with calendar_server() as running:
        yield running


def busy_of(source: CalendarSource) -> list[tuple[dt.datetime, dt.datetime]]:
    return list(
        BusyBlock.objects.filter(source=source).order_by("starts_at").values_list("starts_at", "ends_at")
    )


def added(server, path: str = "/calendar/ical/ada/private-3f9a/basic.ics", **route) -> CalendarSource:
    server.routes[path] = CalendarRoute(**route)
    mentor = MentorFactory(time_zone="Europe/London", email="ada@example.org")
    return calendar_source_add(owner=mentor, url=server.url(path), label="Work")


def test_a_calendar_is_read_into_busy_times_across_the_clock_change_and_free_events_are_left_out(server):
    source = added(server, body=CALENDAR, etag='"v1"')

    read = calendar_source_read(source.pk, now=NOW)

    assert (read.status, read.status_detail) == (CalendarSource.Status.OK, "")
    assert read.read_at == NOW
    assert read.failing_since is None
    assert busy_of(source) == WEEKLY_BUSY
    assert read.etag == '"v1"'


def test_nothing_of_what_the_events_are_nor_the_secret_address_is_stored(server):
    source = added(server, body=CALENDAR)
    calendar_source_read(source.pk, now=NOW)

    stored = []
    with connection.cursor() as cursor:
        for table in (CalendarSource._meta.db_table, BusyBlock._meta.db_table):
            cursor.execute(f"SELECT * FROM {table}")
            stored += [str(value) for row in cursor.fetchall() for value in row]
    text = " ".join(stored)
    assert not [word for word in SECRET_WORDS if word in text]
    assert "private-3f9a" not in text  # the secret part of the address
    assert source.url_hint == "127.0.0.1/…/basic.ics"
    assert encryption.decrypt(source.url_encrypted).endswith("/private-3f9a/basic.ics")


def test_an_unchanged_calendar_is_answered_304_and_keeps_its_busy_times(server):
    source = added(server, body=CALENDAR, etag='"v1"')
    calendar_source_read(source.pk, now=NOW)

    later = NOW + dt.timedelta(minutes=30)
    read = calendar_source_read(source.pk, now=later)

    second_request = server.requests[-1][1]
    assert second_request.get("If-None-Match") == '"v1"'
    assert read.status == CalendarSource.Status.OK
    assert read.read_at == later
    assert busy_of(source) == WEEKLY_BUSY


def test_a_changed_calendar_replaces_the_busy_times(server):
    source = added(server, body=CALENDAR, etag='"v1"')
    calendar_source_read(source.pk, now=NOW)
    path = next(iter(server.routes))
    server.routes[path] = CalendarRoute(body=CALENDAR.replace(b"COUNT=3", b"COUNT=1"), etag='"v2"')

    calendar_source_read(source.pk, now=NOW + dt.timedelta(minutes=30))

    assert busy_of(source) == WEEKLY_BUSY[:1]


def test_an_oversized_calendar_is_refused_and_the_busy_times_read_before_stay(server, settings):
    source = added(server, body=CALENDAR)
    calendar_source_read(source.pk, now=NOW)
    settings.CALENDAR_MAX_BYTES = 200

    read = calendar_source_read(source.pk, now=NOW + dt.timedelta(hours=1))

    assert read.status == CalendarSource.Status.TOO_LARGE
    assert read.status_detail == f"The server sends {len(CALENDAR):,} bytes; at most 200 are read."
    assert read.failing_since == NOW + dt.timedelta(hours=1)
    assert read.read_at == NOW
    assert busy_of(source) == WEEKLY_BUSY


def test_a_body_over_the_limit_without_a_length_is_cut_off_at_the_limit(server, settings):
    """A server need not say how much it sends; the reader stops at the limit all the same."""
    settings.CALENDAR_MAX_BYTES = 200
    source = added(server, body=CALENDAR, send_length=False)

    read = calendar_source_read(source.pk, now=NOW)

    assert read.status == CalendarSource.Status.TOO_LARGE
    assert read.status_detail == "The server sends more than 200 bytes; at most that many are read."


def test_a_server_too_slow_to_send_the_calendar_is_given_up_on_with_a_clear_status(server, settings):
    settings.CALENDAR_TIMEOUT_SECONDS = 1
    source = added(server, body=CALENDAR, pause_per_chunk=0.4, chunk=100)

    read = calendar_source_read(source.pk, now=NOW)

    assert read.status == CalendarSource.Status.UNREACHABLE
    assert read.status_detail == "The server took more than 1 s to send the calendar."
    assert busy_of(source) == []


@pytest.mark.parametrize(
    ("status", "detail"),
    [
        (
            404,
            "The server answered 404: the address may have been reset or the calendar unshared. "
            "Paste its current secret address.",
        ),
        (503, "The server answered 503; it is tried again at the next refresh."),
    ],
)
def test_a_server_refusing_the_calendar_is_shown_to_the_person(server, status, detail):
    source = added(server, status=status, body=b"no")

    read = calendar_source_read(source.pk, now=NOW)

    assert (read.status, read.status_detail) == (CalendarSource.Status.HTTP_ERROR, detail)


def test_a_page_that_is_not_a_calendar_is_named_so_without_quoting_it(server):
    source = added(
        server, body=b"<html><title>Sign in to Oncology portal</title></html>", content_type="text/html"
    )

    read = calendar_source_read(source.pk, now=NOW)

    assert read.status == CalendarSource.Status.INVALID
    assert read.status_detail == "This is not an iCalendar file: its lines could not be read."


def test_a_redirect_is_followed_after_its_target_is_checked(server):
    server.routes["/moved.ics"] = CalendarRoute(body=CALENDAR)
    source = added(server, path="/old.ics", status=301, location="/moved.ics")

    read = calendar_source_read(source.pk, now=NOW)

    assert read.status == CalendarSource.Status.OK
    assert [path for path, _ in server.requests] == ["/old.ics", "/moved.ics"]
    assert busy_of(source) == WEEKLY_BUSY


def test_a_redirect_to_a_private_address_is_refused_before_any_request_goes_there(server):
    source = added(server, status=302, location="http://169.254.169.254/latest/meta-data/")

    read = calendar_source_read(source.pk, now=NOW)

    assert read.status == CalendarSource.Status.REFUSED
    assert read.status_detail == "169.254.169.254 resolves to a link-local address."


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://calendar.example.org/basic.ics", "Calendar URLs must start with https://."),
        ("https://10.1.2.3/basic.ics", "10.1.2.3 resolves to a private address."),
        (
            "https://user:pw@calendar.example.org/x.ics",
            "Calendar URLs must not carry a user name or password.",
        ),
        ("https:///x.ics", "Not a valid URL: it names no host."),
    ],
)
def test_an_address_the_outbound_policy_refuses_is_a_field_error_and_nothing_is_saved(url, message):
    with pytest.raises(ValidationError) as refused:
        calendar_source_add(owner=ScholarFactory(), url=url)

    assert refused.value.message_dict == {"url": [message]}
    assert not CalendarSource.objects.exists()


def test_a_webcal_address_is_read_over_https(settings):
    settings.OUTBOUND_CALENDAR_HOSTS = ["p42-caldav.icloud.com"]
    from cohort.outbound import check_calendar_url

    target = check_calendar_url(
        "webcal://p42-caldav.icloud.com/published/2/secret",
        allowed_hosts=settings.OUTBOUND_CALENDAR_HOSTS,
        allow_loopback=False,
        resolve=lambda host, port: ["17.248.1.1"],
    )

    assert (target.scheme, target.host, target.port, target.path) == (
        "https",
        "p42-caldav.icloud.com",
        443,
        "/published/2/secret",
    )


def test_an_address_encrypted_under_a_key_rotated_away_asks_to_be_pasted_again(server, settings):
    source = added(server, body=CALENDAR)
    settings.SECRET_KEY = "a-new-key-" + "x" * 50

    read = calendar_source_read(source.pk, now=NOW)

    assert (read.status, read.status_detail) == (
        CalendarSource.Status.REFUSED,
        "The address can no longer be read here: paste it again.",
    )
    assert server.requests == []


def test_an_address_stays_readable_while_its_key_is_a_fallback(server, settings):
    old_key = settings.SECRET_KEY
    source = added(server, body=CALENDAR)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-" + "x" * 50, [old_key]

    assert calendar_source_read(source.pk, now=NOW).status == CalendarSource.Status.OK


def test_the_refresh_picks_sources_never_read_and_those_read_longest_ago(settings):
    settings.CALENDAR_REFRESH_MINUTES = 30
    mentor = MentorFactory()
    fresh, stale, never = (
        CalendarSource.objects.create(mentor=mentor, url_encrypted="x", url_hint="h", checked_at=checked)
        for checked in (NOW - dt.timedelta(minutes=10), NOW - dt.timedelta(minutes=40), None)
    )

    assert calendar_sources_due(now=NOW) == [never.pk, stale.pk]
    assert fresh.pk not in calendar_sources_due(now=NOW)


@pytest.mark.parametrize(("name", "time_zone", "owner", "start", "end", "expected"), FILE_CASES)
def test_google_outlook_and_apple_calendars_are_read_through_the_fetch_path_and_only_times_kept(
    server, name, time_zone, owner, start, end, expected
):
    data = (CALENDARS / name).read_bytes()
    server.routes[f"/{name}"] = CalendarRoute(body=data, etag=f'"{name}"')
    person = MentorFactory(time_zone=time_zone, email=owner)
    source = calendar_source_add(owner=person, url=server.url(f"/{name}"))

    read = calendar_source_read(source.pk, now=start + dt.timedelta(days=1))

    assert read.status == CalendarSource.Status.OK
    within = BusyBlock.objects.filter(source=source, ends_at__gt=start, starts_at__lt=end).order_by(
        "starts_at"
    )
    assert [(b.starts_at, b.ends_at) for b in within] == [(i.starts_at, i.ends_at) for i in expected]
    private = {
        str(event.get(prop))
        for event in icalendar.Calendar.from_ical(data).walk("VEVENT")
        for prop in ("SUMMARY", "LOCATION", "DESCRIPTION")
        if event.get(prop)
    }
    stored = " ".join(str(value) for row in CalendarSource.objects.values() for value in row.values())
    stored += " ".join(str(value) for row in BusyBlock.objects.values() for value in row.values())
    assert private
    assert not [text for text in private if text in stored]


def test_a_server_dripping_its_headers_is_cut_off_at_the_deadline(server, settings):
    """Each header line comes within the socket timeout; together they take three times the limit."""
    settings.CALENDAR_TIMEOUT_SECONDS = 1
    source = added(server, body=CALENDAR, dripped_headers=10, pause_per_chunk=0.3)

    read = calendar_source_read(source.pk, now=NOW)

    assert (read.status, read.status_detail) == (
        CalendarSource.Status.UNREACHABLE,
        "The server took more than 1 s to send the calendar.",
    )
    assert busy_of(source) == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "https://calendar.example.org/calendário.ics",
            "Calendar URLs must be plain ASCII without spaces: percent-encode any other character.",
        ),
        (
            "https://calendar.example.org/my calendar.ics",
            "Calendar URLs must be plain ASCII without spaces: percent-encode any other character.",
        ),
        ("https://93.184.216.34:8443/x.ics", "Calendar URLs must use the standard https port (443)."),
        ("https://[fec0::1]/x.ics", "fec0::1 resolves to a site-local address."),
    ],
)
def test_addresses_http_cannot_send_as_typed_or_off_the_https_port_are_refused(url, message):
    with pytest.raises(ValidationError) as refused:
        calendar_source_add(owner=MentorFactory(), url=url)

    assert refused.value.message_dict == {"url": [message]}


def test_the_programs_own_meetings_in_a_persons_calendar_do_not_make_them_busy(server):
    """A mailed invitation the person accepted sits in their own calendar with our UID: it is that meeting."""
    ours = b"""BEGIN:VEVENT\r
DTSTART:20261021T140000Z\r
DTEND:20261021T150000Z\r
UID:one-on-one-ada-sam-wed-1400-2@cohortops\r
SUMMARY:Ada and Sam (1-on-1)\r
END:VEVENT\r
END:VCALENDAR\r
"""
    source = added(server, body=CALENDAR.replace(b"END:VCALENDAR\r\n", ours))

    calendar_source_read(source.pk, now=NOW)

    assert busy_of(source) == WEEKLY_BUSY
    assert materialise._unique_uid("one-on-one-ada-sam").endswith(OWN_EVENT_UID_SUFFIX)


def test_a_person_has_at_most_five_calendars():
    mentor = MentorFactory()
    for number in range(MAX_SOURCES_PER_PERSON):
        calendar_source_add(owner=mentor, url=f"https://calendar.example.org/{number}.ics")

    with pytest.raises(ValidationError) as refused:
        calendar_source_add(owner=mentor, url="https://calendar.example.org/one-more.ics")

    assert refused.value.message_dict == {
        "url": ["You have 5 calendars already: remove one before adding another."]
    }


def test_a_read_under_a_fallback_key_writes_the_address_again_under_the_current_one(server, settings):
    old_key = settings.SECRET_KEY
    source = added(server, body=CALENDAR)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-" + "x" * 50, [old_key]

    calendar_source_read(source.pk, now=NOW)
    settings.SECRET_KEY_FALLBACKS = []

    source.refresh_from_db()
    assert encryption.decrypt(source.url_encrypted) == server.url(next(iter(server.routes)))


def test_a_source_due_is_claimed_so_the_next_tick_does_not_enqueue_it_again(settings):
    settings.CALENDAR_REFRESH_MINUTES = 30
    source = CalendarSource.objects.create(mentor=MentorFactory(), url_encrypted="x", url_hint="h")

    first, second = calendar_sources_due(now=NOW), calendar_sources_due(now=NOW + dt.timedelta(minutes=1))

    assert (first, second) == ([source.pk], [])
    assert calendar_sources_due(now=NOW + dt.timedelta(minutes=31)) == [source.pk]


def test_what_a_read_found_is_dropped_when_the_address_changed_meanwhile(server):
    source = added(server, body=CALENDAR)
    read_started = CalendarSource.objects.get(pk=source.pk)
    calendar_source_set_url(source, "https://calendar.example.org/another/basic.ics")
    source.save()

    kept = calendar_sources._record_read(
        read_started,
        response=outbound.FetchedResponse(200, {"etag": '"old"'}, CALENDAR),
        intervals=[BusyInterval(*WEEKLY_BUSY[0])],
        now=NOW,
    )

    assert kept is None
    source.refresh_from_db()
    assert (source.status, source.etag, busy_of(source)) == (CalendarSource.Status.PENDING, "", [])


def test_an_unexpected_failure_is_recorded_so_the_source_waits_for_the_next_refresh(
    server, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the reader")

    monkeypatch.setattr(calendar_sources, "busy_intervals", broken)
    source = added(server, body=CALENDAR)

    read = calendar_source_read(source.pk, now=NOW)

    assert (read.status, read.status_detail, read.checked_at) == (
        CalendarSource.Status.UNREACHABLE,
        calendar_sources.UNEXPECTED,
        NOW,
    )
    assert "a bug in the reader" in caplog.text
    assert "a bug in the reader" not in read.status_detail


def test_a_scholar_who_changes_zone_has_their_calendars_read_again_in_full(server):
    source = added(server, body=CALENDAR, etag='"v1"')
    scholar = ScholarFactory(time_zone="Europe/London")
    CalendarSource.objects.filter(pk=source.pk).update(mentor=None, scholar=scholar)
    calendar_source_read(source.pk, now=NOW)

    scholar_preferences_update(scholar=scholar, by=None, time_zone="America/New_York")

    source.refresh_from_db()
    assert (source.etag, source.busy_digest, source.checked_at) == ("", "", None)
    assert calendar_source_read(source.pk, now=NOW).status == CalendarSource.Status.OK
    assert "If-None-Match" not in server.requests[-1][1]


def self_signed_certificate(directory) -> tuple[str, str]:
    """A certificate for 127.0.0.1, signed by itself, and its key, as PEM files in ``directory``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    # OpenSSL checks the dates on the machine's clock, not on the suite's fixed one.
    now = time_machine.escape_hatch.datetime.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_file, key_file = directory / "host.pem", directory / "host.key"
    certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(certificate_file), str(key_file)


@pytest.fixture
def tls_server(tmp_path, monkeypatch, server):
    """The calendar host behind TLS, with a certificate this process trusts (SSL_CERT_FILE): the https path."""
    certificate, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", certificate)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    with calendar_server(tls=context) as running:
        yield running


def test_a_calendar_over_https_is_read_and_one_dripped_over_https_is_cut_off_at_the_deadline(
    tls_server, settings
):
    settings.CALENDAR_TIMEOUT_SECONDS = 1
    tls_server.routes["/fast.ics"] = CalendarRoute(body=CALENDAR)
    tls_server.routes["/slow.ics"] = CalendarRoute(body=CALENDAR, pause_per_chunk=0.2, chunk=50)
    mentor = MentorFactory(time_zone="Europe/London")
    fast = calendar_source_add(owner=mentor, url=tls_server.url("/fast.ics"))
    slow = calendar_source_add(owner=mentor, url=tls_server.url("/slow.ics"))

    assert tls_server.base.startswith("https://")
    assert calendar_source_read(fast.pk, now=NOW).status == CalendarSource.Status.OK
    assert (calendar_source_read(slow.pk, now=NOW).status_detail) == (
        "The server took more than 1 s to send the calendar."
    )
    # Cut off, not read to the end and judged late: the server never got to send all of it.
    assert tls_server.completed == ["/fast.ics"]


def test_once_a_day_the_calendar_is_read_in_full_so_its_horizon_moves_on(server):
    source = added(server, body=CALENDAR, etag='"v1"')
    calendar_source_read(source.pk, now=NOW)

    calendar_source_read(source.pk, now=NOW + dt.timedelta(hours=12))
    within_the_day = server.requests[-1][1]
    calendar_source_read(source.pk, now=NOW + dt.timedelta(hours=25))
    a_day_on = server.requests[-1][1]

    assert within_the_day.get("If-None-Match") == '"v1"'
    assert "If-None-Match" not in a_day_on
    source.refresh_from_db()
    assert source.full_read_at == NOW + dt.timedelta(hours=25)


def test_what_a_read_found_is_dropped_when_its_owner_changed_zone_meanwhile(server):
    source = added(server, body=CALENDAR)
    read_started = CalendarSource.objects.select_related("mentor").get(pk=source.pk)
    calendar_sources.calendar_sources_read_afresh(read_started.mentor)

    kept = calendar_sources._record_read(
        read_started,
        response=outbound.FetchedResponse(200, {"etag": '"old-zone"'}, CALENDAR),
        intervals=[BusyInterval(*WEEKLY_BUSY[0])],
        now=NOW,
    )

    assert kept is None
    source.refresh_from_db()
    assert (source.etag, source.checked_at, busy_of(source)) == ("", None, [])


def test_a_tick_claims_at_most_its_share_of_reads_and_the_rest_wait_for_the_next(settings):
    settings.CALENDAR_READS_PER_TICK = 2
    mentor = MentorFactory()
    sources = [
        CalendarSource.objects.create(mentor=mentor, url_encrypted="x", url_hint="h") for _ in range(3)
    ]

    first, second = calendar_sources_due(now=NOW), calendar_sources_due(now=NOW + dt.timedelta(minutes=5))

    assert (first, second) == ([sources[0].pk, sources[1].pk], [sources[2].pk])
