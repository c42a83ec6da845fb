"""A labelled corpus of how mentors say how often they meet, for `cohort.cadence.parse_cadence`.

Data only. Every expectation was written from what the English means (the conventions are in the docstring of
tests/cohort/test_cadence_corpus.py), not from the reader's code. Names are invented.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class D:
    """One expected demand."""

    kind: str  # "one_on_one" | "group" | "team" | "standup"
    per_week_min: float
    per_week_max: float
    minutes: int | None = None


@dataclass(frozen=True)
class Case:
    category: str
    text: str  # may be several sentences or bullet lines joined with "\n"
    expected: tuple[D, ...] = ()  # the demands exactly (order irrelevant)
    # True: the reader must flag "needs review"; `expected` then lists the demands it may still keep.
    review: bool = False


ONE, GROUP, TEAM, STANDUP = "one_on_one", "group", "team", "standup"
THIRD = 1 / 3

CATEGORIES = (
    "counts",
    "ranges",
    "words",
    "fortnightly/monthly",
    "weekdays",
    "lengths",
    "kinds",
    "several demands",
    "ambiguous",
    "out of range",
    "no cadence",
    "copied/contradiction",
    "british",
    "bullets/parentheses",
    "abbreviations",
)

CORPUS: list[Case] = [
    # ---------------------------------------------------------------- counts: digits and "Nx"
    Case("counts", "We meet 2x per week.", (D(ONE, 2, 2),)),
    Case("counts", "Scholars meet with me 3 times a week.", (D(ONE, 3, 3),)),
    Case("counts", "1x/week 1:1 with each scholar, plus Slack in between.", (D(ONE, 1, 1),)),
    Case("counts", "Expect 4 meetings per week.", (D(ONE, 4, 4),)),
    Case("counts", "I usually hold 2 check-ins a week with each scholar.", (D(ONE, 2, 2),)),
    Case("counts", "We'll have 1 team meeting per week where everyone presents progress.", (D(TEAM, 1, 1),)),
    Case("counts", "Calls happen 2 times per week, on whatever days suit the scholar.", (D(ONE, 2, 2),)),
    Case("counts", "Mentees get 1 one-on-one per week.", (D(ONE, 1, 1),)),
    Case("counts", "Scholars attend 5 stand-ups a week.", (D(STANDUP, 5, 5),)),
    Case("counts", "Mentorship consists of 2 meetings a week.", (D(ONE, 2, 2),)),
    Case("counts", "We meet 6 times a week (yes, really: this stream is intense).", (D(ONE, 6, 6),)),
    Case("counts", "There will be 7 stand-ups per week, weekends included.", (D(STANDUP, 7, 7),)),
    Case("counts", "We meet 2 days a week.", (D(ONE, 2, 2),)),
    Case(
        "counts",
        "You'll have 2 group calls per week with the other scholars in the stream.",
        (D(GROUP, 2, 2),),
    ),
    Case("counts", "I expect to meet each mentee 1 time per week.", (D(ONE, 1, 1),)),
    Case(
        "counts",
        "I work on mechanistic interpretability of small transformers, with a focus on circuits that implement "
        "arithmetic. I have supervised around ten students over the last four years. Scholars in my stream meet "
        "with me 2 times a week, and I reply to Slack messages most days. I care a lot about clear writing.",
        (D(ONE, 2, 2),),
    ),
    Case(
        "counts",
        "Scholars should expect to work 40 hours a week. We meet 3 times per week to go through results.",
        (D(ONE, 3, 3),),
    ),
    # ---------------------------------------------------------------- ranges
    Case("ranges", "Meeting 2-3x per week would be ideal.", (D(ONE, 2, 3),)),
    Case("ranges", "We meet 2–3 times a week.", (D(ONE, 2, 3),)),
    Case("ranges", "Expect check-ins two to three times a week.", (D(ONE, 2, 3),)),
    Case("ranges", "We'll meet 2 or 3 times a week depending on how the project is going.", (D(ONE, 2, 3),)),
    Case("ranges", "1 or 2 meetings a week, each about an hour.", (D(ONE, 1, 2, 60),)),
    Case("ranges", "Scholars meet with me between two and three times a week.", (D(ONE, 2, 3),)),
    Case("ranges", "I hold 1–2 calls per week with each scholar.", (D(ONE, 1, 2),)),
    Case("ranges", "Meetings: 3-4x/week.", (D(ONE, 3, 4),)),
    Case("ranges", "We meet once or twice a week.", (D(ONE, 1, 2),)),
    Case("ranges", "Group meetings happen 1-2 times per week.", (D(GROUP, 1, 2),)),
    Case("ranges", "Stand-ups 3 to 5 days a week.", (D(STANDUP, 3, 5),)),
    Case("ranges", "Between 1 and 2 one-on-ones a week.", (D(ONE, 1, 2),)),
    Case("ranges", "Expect four to five short syncs a week with me.", (D(ONE, 4, 5),)),
    Case("ranges", "We'll meet 2 to 3 times per week over Zoom.", (D(ONE, 2, 3),)),
    Case("ranges", "Usually we meet 1-3 times a week.", (D(ONE, 1, 3),)),
    Case("ranges", "We'll meet two or three times weekly.", (D(ONE, 2, 3),)),
    # ---------------------------------------------------------------- words
    Case("words", "We meet once a week.", (D(ONE, 1, 1),)),
    Case("words", "I meet with scholars every week.", (D(ONE, 1, 1),)),
    Case("words", "Each week we have a call to go over results.", (D(ONE, 1, 1),)),
    Case("words", "We'll meet twice a week to review experiments.", (D(ONE, 2, 2),)),
    Case("words", "Scholars have twice-weekly check-ins with me.", (D(ONE, 2, 2),)),
    Case("words", "Semi-weekly syncs.", (D(ONE, 2, 2),)),
    Case("words", "We meet two days a week.", (D(ONE, 2, 2),)),
    Case("words", "We meet thrice weekly.", (D(ONE, 3, 3),)),
    Case(
        "words",
        "Three times a week, the scholar and I go through their notebooks together on a call.",
        (D(ONE, 3, 3),),
    ),
    Case("words", "One meeting per week with me; scholars are encouraged to pair up.", (D(ONE, 1, 1),)),
    Case("words", "Scholars meet me four times a week.", (D(ONE, 4, 4),)),
    Case("words", "Daily check-ins on a short video call.", (D(ONE, 5, 5),)),
    Case("words", "We meet every weekday morning.", (D(ONE, 5, 5),)),
    Case("words", "The scholar and I meet each working day.", (D(ONE, 5, 5),)),
    Case("words", "We have a call every day.", (D(ONE, 5, 5),)),
    Case("words", "We'll be meeting on a weekly basis.", (D(ONE, 1, 1),)),
    Case("words", "Mentees meet with me five days a week.", (D(ONE, 5, 5),)),
    Case(
        "words",
        "Scholars post short written updates every day in Slack, and we meet once a week to talk them through.",
        (D(ONE, 1, 1),),
    ),
    # ---------------------------------------------------------------- fortnightly / monthly
    Case(
        "fortnightly/monthly",
        "Scholars and I meet every other week for a longer session.",
        (D(ONE, 0.5, 0.5),),
    ),
    Case("fortnightly/monthly", "Calls every two weeks.", (D(ONE, 0.5, 0.5),)),
    Case("fortnightly/monthly", "We meet every second week.", (D(ONE, 0.5, 0.5),)),
    Case(
        "fortnightly/monthly",
        "A fortnightly group call with all scholars in the stream.",
        (D(GROUP, 0.5, 0.5),),
    ),
    Case("fortnightly/monthly", "I hold check-ins twice a month.", (D(ONE, 0.5, 0.5),)),
    Case("fortnightly/monthly", "Semi-monthly team meetings.", (D(TEAM, 0.5, 0.5),)),
    Case("fortnightly/monthly", "We meet every three weeks to review direction.", (D(ONE, THIRD, THIRD),)),
    Case("fortnightly/monthly", "Monthly 1:1s with the research lead.", (D(ONE, 0.25, 0.25),)),
    Case("fortnightly/monthly", "We'll meet once a month.", (D(ONE, 0.25, 0.25),)),
    Case("fortnightly/monthly", "An all-hands every four weeks.", (D(TEAM, 0.25, 0.25),)),
    Case("fortnightly/monthly", "I meet with scholars once every two weeks.", (D(ONE, 0.5, 0.5),)),
    Case("fortnightly/monthly", "Journal club runs monthly.", (D(GROUP, 0.25, 0.25),)),
    Case("fortnightly/monthly", "Lab meetings are held twice monthly.", (D(TEAM, 0.5, 0.5),)),
    Case("fortnightly/monthly", "We meet every 2 weeks on Zoom.", (D(ONE, 0.5, 0.5),)),
    Case(
        "fortnightly/monthly",
        "Meetings once per month, with written updates in between.",
        (D(ONE, 0.25, 0.25),),
    ),
    # Three a month falls neither weekly nor every N weeks: a rhythm the planner cannot keep, so staff decide.
    Case("out of range", "Scholars meet me three times a month.", review=True),
    # ---------------------------------------------------------------- weekdays
    Case("weekdays", "We meet on Mondays and Thursdays.", (D(ONE, 2, 2),)),
    Case("weekdays", "Mon/Wed/Fri stand-ups at 10am.", (D(STANDUP, 3, 3),)),
    Case("weekdays", "I meet each scholar every Tuesday.", (D(ONE, 1, 1),)),
    Case("weekdays", "Tuesday group meetings are where we discuss papers.", (D(GROUP, 1, 1),)),
    Case("weekdays", "Lab meetings are on Tuesday afternoons.", (D(TEAM, 1, 1),)),
    Case("weekdays", "Stand-ups Monday to Friday, 15 minutes.", (D(STANDUP, 5, 5, 15),)),
    Case("weekdays", "Daily syncs Mon–Fri.", (D(ONE, 5, 5),)),
    Case("weekdays", "We have calls on Wednesdays.", (D(ONE, 1, 1),)),
    Case("weekdays", "Every Monday and Thursday we meet for an hour.", (D(ONE, 2, 2, 60),)),
    Case("weekdays", "The reading group meets on Fridays.", (D(GROUP, 1, 1),)),
    Case(
        "weekdays",
        "1:1s on Tuesdays and Fridays, and a team sync on Wednesdays.",
        (D(ONE, 2, 2), D(TEAM, 1, 1)),
    ),
    Case("weekdays", "We meet every other Tuesday.", (D(ONE, 0.5, 0.5),)),
    Case(
        "weekdays",
        "The programme starts on a Monday in early June, and we meet weekly once it begins.",
        (D(ONE, 1, 1),),
    ),
    Case(
        "weekdays",
        "I'm unavailable on Fridays. We meet twice a week, on Mondays and Wednesdays.",
        (D(ONE, 2, 2),),
    ),
    Case("weekdays", "Monday and Thursday check-ins (30 min).", (D(ONE, 2, 2, 30),)),
    Case(
        "weekdays",
        "We hold a stand-up every weekday and a longer meeting on Fridays.",
        (D(STANDUP, 5, 5), D(ONE, 1, 1)),
    ),
    Case("weekdays", "Thursday journal club.", (D(GROUP, 1, 1),)),
    # ---------------------------------------------------------------- lengths
    Case(
        "lengths",
        "Mentorship looks like a 1 h weekly meeting by default, with Slack messages in between.",
        (D(ONE, 1, 1, 60),),
    ),
    Case("lengths", "Weekly 1h call.", (D(ONE, 1, 1, 60),)),
    Case("lengths", "We meet for one hour each week.", (D(ONE, 1, 1, 60),)),
    Case("lengths", "Scholars get an hour-long 1:1 every week.", (D(ONE, 1, 1, 60),)),
    Case("lengths", "1-hour check-ins twice a week.", (D(ONE, 2, 2, 60),)),
    Case("lengths", "We meet weekly for 1.5 hours.", (D(ONE, 1, 1, 90),)),
    Case("lengths", "A 90-minute session every other week.", (D(ONE, 0.5, 0.5, 90),)),
    Case("lengths", "Weekly calls, 45m.", (D(ONE, 1, 1, 45),)),
    Case("lengths", "We meet for half an hour twice a week.", (D(ONE, 2, 2, 30),)),
    Case("lengths", "Half-hour syncs three times a week.", (D(ONE, 3, 3, 30),)),
    Case("lengths", "Weekly meetings of 30 mins.", (D(ONE, 1, 1, 30),)),
    Case("lengths", "Twice-weekly check-ins (30 min each)", (D(ONE, 2, 2, 30),)),
    Case("lengths", "1:1s for an hour every week.", (D(ONE, 1, 1, 60),)),
    Case("lengths", "Weekly 2-hour lab meeting.", (D(TEAM, 1, 1, 120),)),
    Case("lengths", "Each week we have a 20-minute check-in.", (D(ONE, 1, 1, 20),)),
    Case("lengths", "Daily stand-ups (10 min).", (D(STANDUP, 5, 5, 10),)),
    Case("lengths", "We meet weekly for an hour and a half.", (D(ONE, 1, 1, 90),)),
    Case(
        "lengths",
        "Weekly meetings, 30–60 minutes depending on what there is to discuss.",
        (D(ONE, 1, 1),),
        review=True,
    ),
    Case("lengths", "We'll have a 45 to 60 minute call each week.", (D(ONE, 1, 1),), review=True),
    Case(
        "lengths",
        "I'd like to meet two or three times per week, for 30-45 minutes.",
        (D(ONE, 2, 3),),
        review=True,
    ),
    # ---------------------------------------------------------------- kinds
    Case("kinds", "We have a weekly team meeting where every scholar shares a plot.", (D(TEAM, 1, 1),)),
    Case("kinds", "There is a weekly lab meeting on Thursdays.", (D(TEAM, 1, 1),)),
    Case("kinds", "A team sync happens once a week.", (D(TEAM, 1, 1),)),
    Case("kinds", "The stream has a weekly all-hands.", (D(TEAM, 1, 1),)),
    Case("kinds", "Weekly project meetings with all collaborators.", (D(TEAM, 1, 1),)),
    Case("kinds", "Daily standup at 9:30 UK time.", (D(STANDUP, 5, 5),)),
    Case("kinds", "Scholars join our paper-reading group every week.", (D(GROUP, 1, 1),)),
    Case("kinds", "Journal club every other week.", (D(GROUP, 0.5, 0.5),)),
    Case("kinds", "Weekly group call with the other mentees.", (D(GROUP, 1, 1),)),
    Case("kinds", "One-on-one meetings once a week.", (D(ONE, 1, 1),)),
    Case("kinds", "Individual meetings every week.", (D(ONE, 1, 1),)),
    Case("kinds", "1-1s every week.", (D(ONE, 1, 1),)),
    Case("kinds", "Weekly sync with me.", (D(ONE, 1, 1),)),
    Case("kinds", "A weekly reading group.", (D(GROUP, 1, 1),)),
    Case("kinds", "We meet as a group twice a week.", (D(GROUP, 2, 2),)),
    Case("kinds", "A stand up meeting every weekday.", (D(STANDUP, 5, 5),)),
    Case("kinds", "1-on-1 sessions every week.", (D(ONE, 1, 1),)),
    # ---------------------------------------------------------------- several demands
    Case("several demands", "Weekly meetings (1-on-1 and group)", (D(ONE, 1, 1), D(GROUP, 1, 1))),
    Case("several demands", "1:1s and group calls weekly.", (D(ONE, 1, 1), D(GROUP, 1, 1))),
    Case(
        "several demands",
        "A daily 15-minute stand-up and an hour-long weekly 1:1.",
        (D(STANDUP, 5, 5, 15), D(ONE, 1, 1, 60)),
    ),
    Case(
        "several demands",
        "Weekly 1:1 (1 h) and a fortnightly group meeting (90 min).",
        (D(ONE, 1, 1, 60), D(GROUP, 0.5, 0.5, 90)),
    ),
    Case(
        "several demands",
        "We meet twice a week one-on-one, and the whole stream has a team meeting on Mondays.",
        (D(ONE, 2, 2), D(TEAM, 1, 1)),
    ),
    Case(
        "several demands",
        "Expect a 30-minute check-in twice a week and a 1-hour lab meeting every Thursday.",
        (D(ONE, 2, 2, 30), D(TEAM, 1, 1, 60)),
    ),
    Case(
        "several demands", "Monthly all-hands and daily stand-ups.", (D(TEAM, 0.25, 0.25), D(STANDUP, 5, 5))
    ),
    Case(
        "several demands",
        "We'll do 1-on-1s every week, plus a reading group every other week.",
        (D(ONE, 1, 1), D(GROUP, 0.5, 0.5)),
    ),
    Case(
        "several demands",
        "Daily stand-ups with the team, weekly 1:1s with me, and a monthly lab meeting.",
        (D(STANDUP, 5, 5), D(ONE, 1, 1), D(TEAM, 0.25, 0.25)),
    ),
    Case(
        "several demands",
        "Two 1:1s a week (45 min) and one group meeting a week (1 h).",
        (D(ONE, 2, 2, 45), D(GROUP, 1, 1, 60)),
    ),
    Case(
        "several demands",
        "I meet each scholar individually once a week; we also have a weekly group meeting.",
        (D(ONE, 1, 1), D(GROUP, 1, 1)),
    ),
    Case(
        "several demands",
        "Weekly 1:1s and a weekly team meeting, each an hour long.",
        (D(ONE, 1, 1, 60), D(TEAM, 1, 1, 60)),
    ),
    Case(
        "several demands",
        "Scholars attend a daily stand-up (15 min) and a twice-weekly check-in (30 min).",
        (D(STANDUP, 5, 5, 15), D(ONE, 2, 2, 30)),
    ),
    Case(
        "several demands",
        "One-on-ones every two weeks and a group session each week.",
        (D(ONE, 0.5, 0.5), D(GROUP, 1, 1)),
    ),
    Case(
        "several demands",
        "My stream works on evaluations for dangerous capabilities. Scholars will meet with me weekly. There "
        "is also a stream-wide group call every Friday where people present work in progress. I'm based in "
        "London and mostly work UK hours.",
        (D(ONE, 1, 1), D(GROUP, 1, 1)),
    ),
    Case(
        "several demands",
        "Dana will meet scholars weekly for an hour, and the team gets together for a "
        "30-minute stand-up every weekday.",
        (D(ONE, 1, 1, 60), D(STANDUP, 5, 5, 30)),
    ),
    # ---------------------------------------------------------------- ambiguous
    Case("ambiguous", "Biweekly 1-on-1s.", review=True),
    Case("ambiguous", "We'll have bi-weekly check-ins.", review=True),
    Case("ambiguous", "Bimonthly group meetings.", review=True),
    Case("ambiguous", "We meet a couple of times a week.", review=True),
    Case("ambiguous", "I'm happy to meet a few times a week.", review=True),
    Case("ambiguous", "Several times a week we jump on a call.", review=True),
    Case("ambiguous", "We meet regularly.", review=True),
    Case("ambiguous", "Meetings weekly or biweekly, depending on the scholar.", review=True),
    Case("ambiguous", "We'll meet weekly or every other week.", review=True),
    Case("ambiguous", "Meetings as needed.", review=True),
    Case("ambiguous", "I'm available for ad hoc calls.", review=True),
    Case("ambiguous", "1:1s on request.", review=True),
    Case("ambiguous", "We meet weekly during training, then every other week.", review=True),
    Case("ambiguous", "We meet twice a week for the first month, then weekly.", review=True),
    Case("ambiguous", "Weekly 1:1s, biweekly group meetings.", (D(ONE, 1, 1),), review=True),
    Case("ambiguous", "Weekly 1:1s plus ad hoc calls as needed.", (D(ONE, 1, 1),)),
    Case("ambiguous", "Daily stand-ups; other meetings as needed.", (D(STANDUP, 5, 5),)),
    Case("ambiguous", "Regular weekly 1:1s.", (D(ONE, 1, 1),)),
    # ---------------------------------------------------------------- out of range
    Case("out of range", "We meet 9x per week.", review=True),
    Case("out of range", "Check-ins 3-8 times a week.", review=True),
    Case("out of range", "Stand-ups twice a day.", review=True),
    Case("out of range", "Meetings 0-2x per week.", review=True),
    Case("out of range", "Weekly meetings of 600 minutes.", (D(ONE, 1, 1),), review=True),
    Case("out of range", "A 2-minute check-in every day.", (D(ONE, 5, 5),), review=True),
    Case("out of range", "We sync three times a day.", review=True),
    Case("out of range", "Scholars meet me 10 times a week.", review=True),
    Case("out of range", "Weekly 1:1s lasting 10 hours.", (D(ONE, 1, 1),), review=True),
    Case("out of range", "Weekly 1:1s. Stand-ups twice a day.", (D(ONE, 1, 1),), review=True),
    Case("out of range", "Zero to two meetings a week.", review=True),
    Case("out of range", "A monthly all-hands of 9 hours.", (D(TEAM, 0.25, 0.25),), review=True),
    Case("out of range", "Twelve check-ins a week.", review=True),
    Case("out of range", "Hourly check-ins.", review=True),
    Case("out of range", "We meet 8 days a week.", review=True),
    # ---------------------------------------------------------------- no cadence
    Case("no cadence", "I keep daily lab books and expect scholars to do the same.", review=True),
    Case("no cadence", "I publish a weekly newsletter on alignment research.", review=True),
    Case("no cadence", "We released our monthly report on model evaluations last spring.", review=True),
    Case("no cadence", "Scholars should expect to work 40 hours a week.", review=True),
    Case("no cadence", "She has worked on interpretability for two years.", review=True),
    Case(
        "no cadence",
        "Alex has mentored scholars in three previous cohorts and publishes twice a year at major venues.",
        review=True,
    ),
    Case("no cadence", "Our compute budget is refreshed every month.", review=True),
    Case("no cadence", "I check Slack daily, so scholars can expect a reply within a day.", review=True),
    Case("no cadence", "Priya runs experiments every day on a cluster of eight GPUs.", review=True),
    Case("no cadence", "The program runs for ten weeks, full time, in Berkeley.", review=True),
    Case("no cadence", "Applicants will hear back within two weeks of the deadline.", review=True),
    Case(
        "no cadence",
        "Jordan is a research scientist who previously spent four years at a hedge fund, where weekly risk "
        "reports were her responsibility.",
        review=True,
    ),
    Case(
        "no cadence",
        "We want scholars who can work independently. Meeting new people and giving feedback is a big part of "
        "the job. The project also comes with a weekly compute quota.",
        review=True,
    ),
    Case(
        "no cadence",
        "Sam is a fellow at a policy institute. He writes a fortnightly column on AI governance.",
        review=True,
    ),
    Case("no cadence", "Scholars receive a stipend paid monthly.", review=True),
    Case("no cadence", "The model is retrained every two weeks on fresh data.", review=True),
    Case(
        "no cadence",
        "I'm looking for scholars with strong Python skills and a background in statistics.",
        review=True,
    ),
    Case(
        "no cadence", "Ideal candidates have published at least once in a peer-reviewed venue.", review=True
    ),
    Case(
        "no cadence",
        "Scholars will present their final results at the symposium on the last Friday of the programme.",
        review=True,
    ),
    Case(
        "no cadence",
        "I will be on parental leave for two weeks in July, but otherwise available.",
        review=True,
    ),
    Case(
        "no cadence",
        "The meeting room on the third floor is booked daily by the robotics group.",
        review=True,
    ),
    # ---------------------------------------------------------------- copied / contradiction
    Case("copied/contradiction", "We meet weekly.\nWe meet twice a week.", review=True),
    Case("copied/contradiction", "Weekly 1:1s.\nWeekly 1:1s.", (D(ONE, 1, 1),)),
    Case(
        "copied/contradiction",
        "Mentorship style: weekly 1-on-1s. I'm excited about scholars who write clearly. Scholars will meet "
        "with me once a week.",
        (D(ONE, 1, 1),),
    ),
    Case(
        "copied/contradiction",
        "Scholars meet me every week for an hour. I'm looking forward to our weekly hour-long meetings.",
        (D(ONE, 1, 1, 60),),
    ),
    Case(
        "copied/contradiction",
        "1:1s every week (1 h).\nI like to keep things light. We meet fortnightly.",
        review=True,
    ),
    Case(
        "copied/contradiction",
        "Weekly 1:1 (30 min).\nEach week we have a one-hour 1:1.",
        (D(ONE, 1, 1),),
        review=True,
    ),
    Case("copied/contradiction", "Daily stand-ups. Stand-ups happen three times a week.", review=True),
    Case("copied/contradiction", "Weekly team meeting. Team meetings are held monthly.", review=True),
    Case(
        "copied/contradiction",
        "Weekly 1:1s. Team meetings are held monthly.",
        (D(ONE, 1, 1), D(TEAM, 0.25, 0.25)),
    ),
    Case(
        "copied/contradiction",
        "We meet twice a week. Our twice-weekly meetings are 45 minutes.",
        (D(ONE, 2, 2, 45),),
    ),
    Case(
        "copied/contradiction",
        "Mentorship: weekly 1:1 (1 h), daily stand-up.\nMentorship: weekly 1:1 (1 h), daily stand-up.",
        (D(ONE, 1, 1, 60), D(STANDUP, 5, 5)),
    ),
    Case(
        "copied/contradiction", "We'll meet once a week. In practice, we meet every other week.", review=True
    ),
    Case(
        "copied/contradiction",
        "I meet scholars weekly. (Note: this year I can only meet every other week.)",
        review=True,
    ),
    Case(
        "copied/contradiction",
        "The weekly group meeting is on Thursdays. We also meet one-on-one every week.",
        (D(GROUP, 1, 1), D(ONE, 1, 1)),
    ),
    # ---------------------------------------------------------------- british
    Case("british", "We'll have a one-to-one every fortnight.", (D(ONE, 0.5, 0.5),)),
    Case("british", "Fortnightly one-to-one meetings throughout the programme.", (D(ONE, 0.5, 0.5),)),
    Case("british", "Scholars have a weekly one-to-one with their supervisor.", (D(ONE, 1, 1),)),
    Case("british", "Supervision meetings take place once a fortnight.", (D(ONE, 0.5, 0.5),)),
    Case(
        "british",
        "The programme includes a weekly lab meeting and fortnightly one-to-ones.",
        (D(TEAM, 1, 1), D(ONE, 0.5, 0.5)),
    ),
    Case(
        "british",
        "I'd expect to meet each fellow on a weekly basis, and we'll colour-code our shared notes as we go.",
        (D(ONE, 1, 1),),
    ),
    Case("british", "We hold an hour-long one-to-one each week, usually on a Monday.", (D(ONE, 1, 1, 60),)),
    Case(
        "british", "Scholars attend a fortnightly journal club organised by the group.", (D(GROUP, 0.5, 0.5),)
    ),
    Case("british", "Mentoring is via one-to-one calls every Tuesday.", (D(ONE, 1, 1),)),
    Case("british", "Our team has a stand-up every weekday at half nine.", (D(STANDUP, 5, 5),)),
    Case(
        "british",
        "Scholars will have a half-hour one-to-one with me twice a week during the programme.",
        (D(ONE, 2, 2, 30),),
    ),
    Case(
        "british",
        "We'll meet for a 1-hour one-to-one session once a month, with email contact in between.",
        (D(ONE, 0.25, 0.25, 60),),
    ),
    Case("british", "I organise a reading group that meets once a fortnight.", (D(GROUP, 0.5, 0.5),)),
    Case("british", "Fortnightly catch-ups with me (about 45 mins).", (D(ONE, 0.5, 0.5, 45),)),
    Case(
        "british",
        "Fellows meet their mentor every week throughout the summer programme, usually in person in Cambridge.",
        (D(ONE, 1, 1),),
    ),
    # ---------------------------------------------------------------- bullets / parentheses
    Case("bullets/parentheses", "• Weekly 1:1 (60 min)", (D(ONE, 1, 1, 60),)),
    Case(
        "bullets/parentheses",
        "Mentorship style:\n• Weekly 1-on-1s\n• Slack for quick questions",
        (D(ONE, 1, 1),),
    ),
    Case(
        "bullets/parentheses",
        "- 2x/week check-ins (30 min)\n- Group meeting every other week",
        (D(ONE, 2, 2, 30), D(GROUP, 0.5, 0.5)),
    ),
    Case(
        "bullets/parentheses",
        "* Daily standup (15 min)\n* Weekly lab meeting (1 h)",
        (D(STANDUP, 5, 5, 15), D(TEAM, 1, 1, 60)),
    ),
    Case(
        "bullets/parentheses",
        "• Weekly 1:1 (60 min)\n• Group meeting every other week\n• Daily async updates in Slack",
        (D(ONE, 1, 1, 60), D(GROUP, 0.5, 0.5)),
    ),
    Case("bullets/parentheses", "Meetings (weekly, ~1 hour) with each scholar.", (D(ONE, 1, 1, 60),)),
    Case(
        "bullets/parentheses",
        "Time commitment: 20 hrs/week\nMeetings: 1x per week (1 h)",
        (D(ONE, 1, 1, 60),),
    ),
    Case(
        "bullets/parentheses",
        "Structure (subject to change): weekly 1:1s and a group call every two weeks.",
        (D(ONE, 1, 1), D(GROUP, 0.5, 0.5)),
    ),
    Case(
        "bullets/parentheses",
        "1. Weekly one-on-one (45 min)\n2. Monthly group meeting (90 min)",
        (D(ONE, 1, 1, 45), D(GROUP, 0.25, 0.25, 90)),
    ),
    Case("bullets/parentheses", "Meeting cadence: twice weekly (Tue & Thu), 30 min.", (D(ONE, 2, 2, 30),)),
    Case(
        "bullets/parentheses",
        "– Stand-ups: Mon–Fri\n– 1:1s: weekly (1 hr)\n– Reading group: fortnightly",
        (D(STANDUP, 5, 5), D(ONE, 1, 1, 60), D(GROUP, 0.5, 0.5)),
    ),
    Case(
        "bullets/parentheses",
        "What to expect:\n• a 1:1 every week\n• a team meeting every Monday\n• lots of independent work",
        (D(ONE, 1, 1), D(TEAM, 1, 1)),
    ),
    Case("bullets/parentheses", "Meetings (1-on-1): weekly", (D(ONE, 1, 1),)),
    Case(
        "bullets/parentheses",
        "• Bi-weekly group meetings\n• Weekly 1:1s (30 min)",
        (D(ONE, 1, 1, 30),),
        review=True,
    ),
    Case("bullets/parentheses", "(We usually meet once a week, for about an hour.)", (D(ONE, 1, 1, 60),)),
    # ---------------------------------------------------------------- abbreviations
    Case("abbreviations", "1:1s 1x/wk.", (D(ONE, 1, 1),)),
    Case("abbreviations", "Check-ins 2x/wk, 30 mins.", (D(ONE, 2, 2, 30),)),
    Case("abbreviations", "Weekly mtg w/ mentor (1 hr).", (D(ONE, 1, 1, 60),)),
    Case("abbreviations", "Meet 2 times p/w.", (D(ONE, 2, 2),)),
    Case("abbreviations", "Group call 1x/week, 90 mins.", (D(GROUP, 1, 1, 90),)),
    Case("abbreviations", "1-on-1: 1/wk, 45 min.", (D(ONE, 1, 1, 45),)),
    Case("abbreviations", "Team sync 1x/wk (1.5 hrs).", (D(TEAM, 1, 1, 90),)),
    Case("abbreviations", "Mtgs: 2-3x/wk, ~30m each.", (D(ONE, 2, 3, 30),)),
    Case("abbreviations", "Weekly 1:1, approx. 1 hr.", (D(ONE, 1, 1, 60),)),
    Case("abbreviations", "Meetings 3x a wk.", (D(ONE, 3, 3),)),
    Case("abbreviations", "Scholars get a 1:1 every wk.", (D(ONE, 1, 1),)),
    Case("abbreviations", "Lab mtg Thurs, 1 hr.", (D(TEAM, 1, 1, 60),)),
    Case("abbreviations", "1:1s 2x/week @ 30 min.", (D(ONE, 2, 2, 30),)),
    Case("abbreviations", "Pairing sessions, 2 hrs, twice wkly.", (D(ONE, 2, 2, 120),)),
    Case("abbreviations", "Reading group every 2 wks.", (D(GROUP, 0.5, 0.5),)),
    Case("abbreviations", "1:1 w/ me every Tues, 45 min.", (D(ONE, 1, 1, 45),)),
]
