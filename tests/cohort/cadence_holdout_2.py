"""A second held-out set of mentor meeting-rhythm phrasings for `cohort.cadence.parse_cadence`.

Data only, written apart from `cadence_corpus.CORPUS` and `cadence_holdout.HOLDOUT` in styles those sets are
unlikely to hold: non-native English, terse notes, FAQ answers, schedule lines with clock times, long prose with the
rhythm in a subordinate clause, nested bullet lists, negations, hypotheticals, rhythms of people other than the
scholars, and month-based rhythms. Same meaning conventions as the corpus. Names are invented.
"""

from tests.cohort.cadence_corpus import GROUP, ONE, STANDUP, TEAM, THIRD, Case, D

HOLDOUT_2: list[Case] = [
    # ---------------------------------------------------------------- counts
    Case("counts", "We will have meeting one time in week with each scholar.", (D(ONE, 1, 1),)),
    Case("counts", "We meet two times for week, normally in the evening of Europe.", (D(ONE, 2, 2),)),
    Case("counts", "Mentor and scholar make call 3 time per week.", (D(ONE, 3, 3),)),
    Case("counts", "No stand-ups, no reading group. Just one-on-ones, three times a week.", (D(ONE, 3, 3),)),
    Case(
        "counts",
        "My group studies reward hacking in language-model agents, and although most of the work happens "
        "asynchronously in a shared doc, which I read closely and comment on whenever a scholar pushes new results, "
        "we also get on a call twice a week so that nobody stays stuck for long.",
        (D(ONE, 2, 2),),
    ),
    Case("counts", "Three 20-minute stand-ups a week.", (D(STANDUP, 3, 3, 20),)),
    # ---------------------------------------------------------------- ranges
    Case("ranges", "We are meeting 2 until 3 times in one week.", (D(ONE, 2, 3),)),
    Case("ranges", "We meet one or two time in the week, it depend on the progress.", (D(ONE, 1, 2),)),
    Case("ranges", "Check-ins: 2 to 4 per week.", (D(ONE, 2, 4),)),
    Case("ranges", "Lab meetings: between 1 and 2 per week.", (D(TEAM, 1, 2),)),
    Case(
        "ranges",
        "Q: How often do the group sessions run?\nA: Two or three times every week, usually late afternoon.",
        (D(GROUP, 2, 3),),
    ),
    # ---------------------------------------------------------------- words
    Case(
        "words",
        "FAQ — Do you meet in person? No, all of our meetings are on Zoom. How often? Twice weekly.",
        (D(ONE, 2, 2),),
    ),
    Case("words", "Stand-up every weekday at 9:15.", (D(STANDUP, 5, 5),)),
    Case("words", "Scrum is held thrice weekly.", (D(STANDUP, 3, 3),)),
    Case("words", "Two days each week we get on Zoom together.", (D(ONE, 2, 2),)),
    Case(
        "words",
        "Because I live in Singapore while most scholars will be in London, and because I find long threads of "
        "messages exhausting, we will keep things simple: one call every week, at a time that works for both "
        "time zones.",
        (D(ONE, 1, 1),),
    ),
    Case("words", "We don't do daily stand-ups; instead we meet twice a week.", (D(ONE, 2, 2),)),
    # ---------------------------------------------------------------- fortnightly / monthly
    Case(
        "fortnightly/monthly",
        "In the program we do the group meeting one time in two weeks.",
        (D(GROUP, 0.5, 0.5),),
    ),
    Case("fortnightly/monthly", "One time in month we make all-hands of the lab.", (D(TEAM, 0.25, 0.25),)),
    Case(
        "fortnightly/monthly",
        "Q: How frequent are the check-ins?\nA: Every second week.",
        (D(ONE, 0.5, 0.5),),
    ),
    Case("fortnightly/monthly", "Not weekly, but every other week, we have a 1-1.", (D(ONE, 0.5, 0.5),)),
    Case("fortnightly/monthly", "We'll meet twice a month.", (D(ONE, 0.5, 0.5),)),
    Case(
        "fortnightly/monthly",
        "Once monthly, the whole stream gets together as a group.",
        (D(GROUP, 0.25, 0.25),),
    ),
    Case("fortnightly/monthly", "Every 4 weeks we hold a project meeting.", (D(TEAM, 0.25, 0.25),)),
    Case("fortnightly/monthly", "All-hands: first Monday of each month.", (D(TEAM, 0.25, 0.25),)),
    Case("fortnightly/monthly", "Scholars have a call with me every month.", (D(ONE, 0.25, 0.25),)),
    Case("fortnightly/monthly", "A one-to-one every three weeks is the plan.", (D(ONE, THIRD, THIRD),)),
    # ---------------------------------------------------------------- weekdays
    Case("weekdays", "I am meeting with my scholars every weeks on Monday.", (D(ONE, 1, 1),)),
    Case("weekdays", "I will meet with you in two days of the week, Tuesday and Friday.", (D(ONE, 2, 2),)),
    Case(
        "weekdays",
        "Q: Will there be group meetings?\nA: Yes, every Thursday, together with the other scholars.",
        (D(GROUP, 1, 1),),
    ),
    Case("weekdays", "Group call: Fridays at 16:00 CET.", (D(GROUP, 1, 1),)),
    Case("weekdays", "Our meeting slot is 17:30 Berlin time, every Tuesday and Thursday.", (D(ONE, 2, 2),)),
    Case(
        "weekdays",
        "We won't meet every day — it's twice a week, Tuesdays and Thursdays.",
        (D(ONE, 2, 2),),
    ),
    Case("weekdays", "The reading group runs every fourth Wednesday.", (D(GROUP, 0.25, 0.25),)),
    Case(
        "weekdays",
        "Weekly rhythm\n  * Monday: 1:1\n  * Wednesday: 1:1\n  * Friday: group session",
        (D(ONE, 2, 2), D(GROUP, 1, 1)),
    ),
    # ---------------------------------------------------------------- lengths
    Case(
        "lengths", "How often will I meet my mentor? — Once a week, for about an hour.", (D(ONE, 1, 1, 60),)
    ),
    Case(
        "lengths", "Q: How much contact time is there?\nA: Two 30-minute calls per week.", (D(ONE, 2, 2, 30),)
    ),
    Case("lengths", "Meeting with scholar is happen each week, one hour.", (D(ONE, 1, 1, 60),)),
    Case("lengths", "Every day of the work we have the stand-up of 15 minutes.", (D(STANDUP, 5, 5, 15),)),
    Case("lengths", "Tuesdays 3–4pm UK time: 1:1 with me", (D(ONE, 1, 1, 60),)),
    Case(
        "lengths",
        "Mon & Wed, 10:00–11:30 Pacific — pairing session with your mentor",
        (D(ONE, 2, 2, 90),),
    ),
    Case("lengths", "We talk for half an hour every day.", (D(ONE, 5, 5, 30),)),
    Case("lengths", "Stand-up at 10 on every workday, lasting ten minutes.", (D(STANDUP, 5, 5, 10),)),
    Case("lengths", "Fortnightly group call from 10 to 11:30.", (D(GROUP, 0.5, 0.5, 90),)),
    Case("lengths", "Each 1:1 runs 30–60 min, weekly.", (D(ONE, 1, 1),), review=True),
    Case(
        "lengths",
        "Q: How long are the meetings?\nA: Somewhere between 45 and 90 minutes, twice a week.",
        (D(ONE, 2, 2),),
        review=True,
    ),
    # ---------------------------------------------------------------- kinds
    Case("kinds", "There's no group meeting in this stream — just a weekly 1:1.", (D(ONE, 1, 1),)),
    Case("kinds", "Rather than a monthly all-hands, our lab meets as a team every Monday.", (D(TEAM, 1, 1),)),
    Case(
        "kinds",
        "The project, which builds on our earlier work on sparse autoencoders and which we will extend to vision "
        "models if time allows, will be organised around a team meeting that happens every Wednesday.",
        (D(TEAM, 1, 1),),
    ),
    Case("kinds", "We'll meet as a group every Monday.", (D(GROUP, 1, 1),)),
    Case(
        "kinds",
        "I attend a monthly reading group at my university, and scholars meet with me twice a week.",
        (D(ONE, 2, 2),),
    ),
    Case(
        "kinds",
        "The journal club, for which you pick one paper each time, happens weekly.",
        (D(GROUP, 1, 1),),
    ),
    # ---------------------------------------------------------------- several demands
    Case(
        "several demands",
        "Schedule: lab meeting Mondays 11am; 1:1s Wednesdays 2pm.",
        (D(TEAM, 1, 1), D(ONE, 1, 1)),
    ),
    Case(
        "several demands",
        "Having supervised interns at two labs, I've learned that what matters most is fast feedback, which is why, "
        "besides the weekly reading group that all of my scholars attend, each of you will have an individual "
        "meeting with me every Monday.",
        (D(GROUP, 1, 1), D(ONE, 1, 1)),
    ),
    Case(
        "several demands",
        "Weekly meetings (1-on-1 and group), each about 45 minutes.",
        (D(ONE, 1, 1, 45), D(GROUP, 1, 1, 45)),
    ),
    Case("several demands", "Cadence: 1x/wk 1:1 + 1x/mo grp", (D(ONE, 1, 1), D(GROUP, 0.25, 0.25))),
    # Two meetings counted together and then told apart: a person reads a 1:1 and a team (or group) meeting; the
    # reader leaves the split to staff rather than guess which kind "with all team" is.
    Case(
        "several demands",
        "Every week we have two meeting: one is only you and me, other one is with all team.",
        review=True,
    ),
    # ---------------------------------------------------------------- ambiguous
    Case(
        "ambiguous",
        "How often do we meet? That depends on you — some scholars want to talk every day, others every couple "
        "of weeks.",
        review=True,
    ),
    Case("ambiguous", "If you prefer, we can meet twice a week instead of weekly.", review=True),
    Case(
        "ambiguous",
        "We meet once a week; should the project speed up, we might add a second call each week.",
        (D(ONE, 1, 1),),
        review=True,
    ),
    Case("ambiguous", "If there's enough interest, I'd run a reading group every Tuesday.", review=True),
    Case("ambiguous", "We meet three times a month.", review=True),
    Case("ambiguous", "Bimonthly group session with all scholars.", review=True),
    Case("ambiguous", "We meet once per month for the first two months, then weekly.", review=True),
    Case("ambiguous", "Regular check-ins with me throughout.", review=True),
    Case("ambiguous", "Weekly or every other week, we'll see what works.", review=True),
    Case("ambiguous", "At least once a week we'll talk.", review=True),
    Case("ambiguous", "Calls are ad hoc.", review=True),
    Case("ambiguous", "We have the meeting some times in week, when is necessary.", review=True),
    Case("ambiguous", "Scholars and I catch up a couple of times per week.", review=True),
    # ---------------------------------------------------------------- out of range
    Case("out of range", "We'll have quick syncs twice a day.", review=True),
    Case("out of range", "A weekly 10-hour working session.", (D(ONE, 1, 1),), review=True),
    Case("out of range", "Daily 2-minute check-in on a Slack huddle.", (D(ONE, 5, 5),), review=True),
    Case("out of range", "We meet 0-2x per week.", review=True),
    # ---------------------------------------------------------------- no cadence
    Case("no cadence", "I meet my co-authors weekly.", review=True),
    Case(
        "no cadence",
        "Outside MATS I run a weekly lab meeting for my PhD students; scholars in this stream will be supported "
        "mainly through written feedback.",
        review=True,
    ),
    Case(
        "no cadence",
        "My manager and I have a 1:1 every Monday, which is why I'm unavailable then.",
        review=True,
    ),
    Case("no cadence", "The other mentors in our org hold daily stand-ups with their teams.", review=True),
    Case("no cadence", "Q: Is there a stand-up? A: No.", review=True),
    Case(
        "no cadence",
        "I do not hold weekly meetings; scholars message me when they need something.",
        review=True,
    ),
    Case("no cadence", "My own advisor checks in with me monthly.", review=True),
    Case("no cadence", "Meeting times will be arranged once the cohort starts.", review=True),
    # ---------------------------------------------------------------- copied / contradiction
    Case(
        "copied/contradiction",
        "Meetings\n  - team: weekly\n  - team: every two weeks",
        review=True,
    ),
    Case("copied/contradiction", "We meet weekly. Actually, the check-ins are twice a week.", review=True),
    # ---------------------------------------------------------------- british
    Case("british", "We'll have a natter once a fortnight over Teams.", (D(ONE, 0.5, 0.5),)),
    Case("british", "Supervisions are fortnightly, on Thursday afternoons.", (D(ONE, 0.5, 0.5),)),
    Case("british", "Catch-up: every Tuesday, 1 hr, in the Oxford office.", (D(ONE, 1, 1, 60),)),
    Case("british", "Monthly one-to-one, 2 hours.", (D(ONE, 0.25, 0.25, 120),)),
    Case(
        "british",
        "Scholars who join this stream, which is small and usually has no more than three people, can expect that "
        "I will meet them once a fortnight, though I answer messages daily.",
        (D(ONE, 0.5, 0.5),),
    ),
    # ---------------------------------------------------------------- bullets / parentheses
    Case(
        "bullets/parentheses",
        "Meetings:\n  - 1:1: weekly\n  - group: every other Friday",
        (D(ONE, 1, 1), D(GROUP, 0.5, 0.5)),
    ),
    Case("bullets/parentheses", "Weekly 1:1 (Thu 14:00–14:45)", (D(ONE, 1, 1, 45),)),
    Case(
        "bullets/parentheses",
        "Structure\n  • Stand-up — Mon–Fri, 15 min\n  • Lab meeting — Thursdays, 1 h",
        (D(STANDUP, 5, 5, 15), D(TEAM, 1, 1, 60)),
    ),
    Case(
        "bullets/parentheses",
        "Contact with mentor:\n  - individual: 2x per week (30 min each)\n  - journal club: monthly",
        (D(ONE, 2, 2, 30), D(GROUP, 0.25, 0.25)),
    ),
    Case(
        "bullets/parentheses",
        "Supervision\n  - frequency: every three weeks\n  - length: 90 minutes",
        (D(ONE, THIRD, THIRD, 90),),
    ),
    # ---------------------------------------------------------------- abbreviations
    Case("abbreviations", "1:1 wkly 30m; grp biwk", (D(ONE, 1, 1, 30),), review=True),
    Case("abbreviations", "mtg 2x/wk, 1h ea", (D(ONE, 2, 2, 60),)),
    Case("abbreviations", "standup M-F 10m", (D(STANDUP, 5, 5, 10),)),
    Case("abbreviations", "sync tu/th 30 min", (D(ONE, 2, 2, 30),)),
    Case("abbreviations", "lab mtg wkly; 1:1 as needed", (D(TEAM, 1, 1),)),
    Case("abbreviations", "mtgs: 3/wk", (D(ONE, 3, 3),)),
]
