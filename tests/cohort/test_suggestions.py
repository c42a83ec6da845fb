import pytest

from cohort.suggestions import SuggestionField, read_suggestions

ZONE, DAYS, HOURS = (
    SuggestionField.TIME_ZONE,
    SuggestionField.PREFERRED_WEEKDAYS,
    SuggestionField.PREFERRED_HOURS,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm based in Stockholm and travel often.", [(ZONE, "Europe/Stockholm", "based in Stockholm")]),
        (
            "Cas is usually at MIT but sometimes visits other places.",
            [(ZONE, "America/New_York", "usually at MIT")],
        ),
        ("I live in New York City.", [(ZONE, "America/New_York", "live in New York City")]),
        ("Based in the Bay Area.", [(ZONE, "America/Los_Angeles", "Based in the Bay Area")]),
        ("Located in Cambridge, MA.", [(ZONE, "America/New_York", "Located in Cambridge, MA")]),
        ("She is based out of Oxford.", [(ZONE, "Europe/London", "based out of Oxford")]),
        ("Currently in Tokyo until March.", [(ZONE, "Asia/Tokyo", "Currently in Tokyo")]),
        ("Standup M–F @ 10am ET.", [(ZONE, "America/New_York", "ET")]),
        ("Calls at 9am Pacific time.", [(ZONE, "America/Los_Angeles", "Pacific time")]),
        ("We usually meet on Thursdays.", [(DAYS, "3", "usually meet on Thursdays")]),
        ("Fridays work best for me.", [(DAYS, "4", "Fridays work best")]),
        ("Ideally Tuesdays or Wednesdays.", [(DAYS, "1,2", "Ideally Tuesdays or Wednesdays")]),
        (
            "I usually meet scholars in the afternoon.",
            [(HOURS, "12:00-17:00", "usually meet scholars in the afternoon")],
        ),
        ("Mornings work best for me.", [(HOURS, "09:00-12:00", "Mornings work best")]),
        ("I prefer late afternoons.", [(HOURS, "15:00-18:00", "prefer late afternoons")]),
        ("Ideally between 10am and 1pm.", [(HOURS, "10:00-13:00", "Ideally between 10am and 1pm")]),
        ("I prefer calls from 14:00 to 16:30.", [(HOURS, "14:00-16:30", "prefer calls from 14:00 to 16:30")]),
        ("Typically 9.30-11am.", [(HOURS, "09:30-11:00", "Typically 9.30-11am")]),
        ("Ideally 11-1pm.", [(HOURS, "11:00-13:00", "Ideally 11-1pm")]),  # 11 pm would end before it starts
        ("Usually 10-12pm.", [(HOURS, "10:00-12:00", "Usually 10-12pm")]),
        ("Usually 9pm-12am.", [(HOURS, "21:00-00:00", "Usually 9pm-12am")]),  # to midnight
        (
            "Preferably 2-4pm on Thursdays.",
            [(DAYS, "3", "Preferably 2-4pm on Thursdays"), (HOURS, "14:00-16:00", "Preferably 2-4pm")],
        ),
    ],
)
def test_a_suggestion_keeps_its_value_and_the_words_it_was_read_from(text, expected):
    suggestions = read_suggestions(text)

    assert [(s.field, s.value, s.phrase) for s in suggestions] == expected
    assert all(s.source == text for s in suggestions)


@pytest.mark.parametrize(
    "text",
    [
        "I gave a talk in London last year.",  # "in" alone is no statement of where a person is
        "I am unavailable on Fridays.",
        "No meetings on Mondays, please.",
        "The workshop starts on a Monday.",
        "Et al. (2023) showed this.",  # "et" written in lower case is no zone
        "Based in a small lab with great people.",
        "I grew up in Paris.",
        "I am not available in the mornings.",
        "We meet 2-3x per week, 1-2 hours each.",  # how often and how long, not when
        "The talk is at 3pm.",
        "Evening seminar on Fridays.",
        "Usually 4pm-2pm.",  # ends before it starts: no hours
        "Ideally from 10.03 to 12.03.",  # dates, not clock times
        "I usually teach Python 3.10 to 3.12.",
        "Ideally at 10am and 2pm.",  # two times, not a range
        "We usually meet 1:30-2:30 hours a week.",
        "I usually do school runs from 8-9am.",  # taken by something else
        "I usually teach from 9am to 5pm.",
        "I usually teach on Mondays.",
        "Usually 9-5.",  # no am, pm or minutes: how many, not when
    ],
)
def test_text_that_names_a_place_or_day_without_saying_where_or_when_suggests_nothing(text):
    assert read_suggestions(text) == ()


def test_weekdays_in_the_cadence_sentence_are_suggested_as_the_days_the_mentor_meets():
    sentence = "We meet on Mondays and Thursdays."

    [suggestion] = read_suggestions(sentence, cadence_sources=(sentence,))

    assert (suggestion.field, suggestion.weekdays, suggestion.phrase) == (
        DAYS,
        (0, 3),
        "Mondays and Thursdays",
    )
    assert suggestion.describe() == "preferred days: Monday, Thursday"
    assert read_suggestions(sentence) == ()  # the same words outside the cadence are no preference


def test_a_part_of_the_day_in_the_cadence_sentence_is_suggested_as_the_hours_the_mentor_meets():
    sentence = "A 1 h weekly meeting on Tuesday mornings."

    suggestions = read_suggestions(sentence, cadence_sources=(sentence,))

    assert [(s.field, s.value, s.phrase) for s in suggestions] == [
        (DAYS, "1", "Tuesday"),
        (HOURS, "09:00-12:00", "mornings"),
    ]
    assert suggestions[1].describe() == "preferred hours: 09:00–12:00"
    assert read_suggestions(sentence) == ()


def test_each_suggestion_is_offered_once_however_often_the_text_repeats_it():
    text = "I'm based in Berlin.\n• Based in Berlin, usually on Thursdays.\n• Thursdays are best."

    suggestions = read_suggestions(text)

    assert [(s.field, s.value) for s in suggestions] == [(ZONE, "Europe/Berlin"), (DAYS, "3")]
