"""Pair health's rules over plain records: no database, no Django."""

import datetime as dt

from scheduling.pair_health import (
    CancellationRecord,
    CheckInRecord,
    KindTally,
    PairRecord,
    Rule,
    Thresholds,
    WeekTally,
    behind_cadence,
    cancellations,
    findings,
    low_ratings,
    missed_check_ins,
    no_first_meeting,
)

MONDAYS = [dt.date(2027, 1, 4) + dt.timedelta(weeks=n) for n in range(6)]


def pair(*, first_met_on=None, weeks=()):
    return PairRecord(
        mentorship_id=7,
        mentor_id=3,
        scholar_id=5,
        mentor="Ada",
        scholar="Ben",
        started_on=dt.date(2027, 1, 4),
        first_met_on=first_met_on,
        weeks=tuple(weeks),
    )


def week(monday, held, expected=1, kind="1-on-1"):
    return WeekTally(monday, (KindTally(kind, held, expected),))


def test_no_first_meeting_is_found_from_the_day_the_wait_reaches_its_threshold():
    assert no_first_meeting(pair(), today=dt.date(2027, 1, 17), days=14) is None
    found = no_first_meeting(pair(), today=dt.date(2027, 1, 18), days=14)

    assert (found.rule, found.subject, found.mentor_id, found.tell_mentor) == (
        Rule.NO_FIRST_MEETING,
        "mentorship=7",
        3,
        True,
    )
    assert (
        found.summary == "Ada and Ben have not met within 14 days of their mentorship's start (04 Jan 2027)."
    )


def test_a_first_meeting_however_late_or_a_threshold_of_0_finds_nothing():
    assert (
        no_first_meeting(pair(first_met_on=dt.date(2027, 2, 1)), today=dt.date(2027, 2, 8), days=14) is None
    )
    assert no_first_meeting(pair(), today=dt.date(2027, 3, 1), days=0) is None


def test_below_the_cadence_needs_every_one_of_the_last_weeks_short():
    short_then_met = pair(weeks=[week(MONDAYS[0], 0), week(MONDAYS[1], 1), week(MONDAYS[2], 0)])
    two_short = pair(weeks=[week(MONDAYS[0], 1), week(MONDAYS[1], 0), week(MONDAYS[2], 0)])

    assert behind_cadence(short_then_met, weeks=2) is None
    found = behind_cadence(two_short, weeks=2)
    assert found.summary == (
        "Ada and Ben held fewer meetings than their cadence asks for 2 weeks running (to the week of 18 Jan: "
        "0 of 1 1-on-1)."
    )
    assert [w["week_start"] for w in found.details["weeks"]] == ["2027-01-11", "2027-01-18"]
    assert behind_cadence(two_short, weeks=3) is None
    assert behind_cadence(two_short, weeks=0) is None


def test_a_week_that_asks_for_nothing_is_never_short():
    assert behind_cadence(pair(weeks=[WeekTally(MONDAYS[0], ()), WeekTally(MONDAYS[1], ())]), weeks=2) is None


def test_a_week_that_asks_for_nothing_neither_counts_nor_breaks_the_run():
    a_break = WeekTally(MONDAYS[2], ())
    around_a_break = pair(weeks=[week(MONDAYS[0], 1), week(MONDAYS[1], 0), a_break, week(MONDAYS[3], 0)])

    found = behind_cadence(around_a_break, weeks=2)

    assert [w["week_start"] for w in found.details["weeks"]] == ["2027-01-11", "2027-01-25"]
    assert behind_cadence(pair(weeks=[week(MONDAYS[0], 1), week(MONDAYS[1], 0), a_break]), weeks=2) is None


def test_one_short_kind_makes_the_week_short():
    mixed = WeekTally(MONDAYS[1], (KindTally("1-on-1", 1, 1), KindTally("group", 0, 1)))

    found = behind_cadence(pair(weeks=[mixed, mixed]), weeks=2)

    assert found.summary.endswith("(to the week of 11 Jan: 0 of 1 group).")


def test_low_ratings_need_every_one_of_the_last_ratings_low():
    def rated(*ratings):
        return PairRecord(**{**pair().__dict__, "ratings": ratings})

    assert low_ratings(rated(2, 1, 4), count=2).details == {"ratings": [2, 1]}
    assert low_ratings(rated(3, 1, 1), count=2) is None  # the latest was useful
    assert low_ratings(rated(1), count=2) is None  # one rating is not a trend
    assert low_ratings(rated(1, 1), count=0) is None


def check_ins(prompted, answered=()):
    return CheckInRecord(
        scholar_id=5,
        scholar="Ben",
        mentor_id=3,
        prompted_weeks=tuple(prompted),
        answered_weeks=frozenset(answered),
    )


def test_missed_check_ins_count_only_the_last_prompted_weeks():
    assert missed_check_ins(check_ins(MONDAYS[:1]), prompts=2) is None
    assert missed_check_ins(check_ins(MONDAYS[:3], answered=[MONDAYS[2]]), prompts=2) is None
    found = missed_check_ins(check_ins(MONDAYS[:3], answered=[MONDAYS[0]]), prompts=2)

    assert (found.subject, found.details) == ("scholar=5", {"weeks": ["2027-01-11", "2027-01-18"]})
    assert missed_check_ins(check_ins(MONDAYS[:3]), prompts=0) is None


def test_cancellations_are_found_above_the_count_in_the_latest_meetings_only():
    mentor = CancellationRecord(name="Ada", latest=(True, True, False, True, False, False, True), mentor_id=3)

    assert cancellations(mentor, count=3, of_last=6) is None  # 3 of the last 6: not more than 3
    found = cancellations(mentor, count=2, of_last=6)
    assert (found.subject, found.summary, found.tell_mentor) == (
        "mentor=3",
        "Ada cancelled 3 of their last 6 meetings.",
        False,
    )
    assert cancellations(mentor, count=2, of_last=0) is None


def test_a_scholars_cancellations_are_told_to_their_primary_mentor():
    scholar = CancellationRecord(name="Ben", latest=(True, True, True), mentor_id=3, scholar_id=5)

    found = cancellations(scholar, count=2, of_last=6)

    assert (found.subject, found.mentor_id, found.scholar_id, found.tell_mentor) == ("scholar=5", 3, 5, True)
    assert found.summary == "Ben cancelled 3 of their last 3 meetings."


def test_findings_are_every_rules_in_a_stable_order():
    record = pair(weeks=[week(MONDAYS[0], 0), week(MONDAYS[1], 0)])

    found = findings(
        thresholds=Thresholds(),
        today=dt.date(2027, 1, 18),
        pairs=[record],
        check_ins=[check_ins(MONDAYS[:2])],
        cancellation_records=[CancellationRecord(name="Ada", latest=(True,) * 3, mentor_id=3)],
    )

    assert [(f.rule, f.subject) for f in found] == [
        (Rule.NO_FIRST_MEETING, "mentorship=7"),
        (Rule.BEHIND_CADENCE, "mentorship=7"),
        (Rule.MISSED_CHECK_INS, "scholar=5"),
        (Rule.CANCELLATIONS, "mentor=3"),
    ]
