"""A held-out set of mentor meeting-rhythm phrasings for `cohort.cadence.parse_cadence`.

Data only, written apart from `cadence_corpus.CORPUS` in different wording (program pages, lab sites, mentoring
handbooks, supervision agreements), with the same meaning conventions. Names are invented.
"""

from tests.cohort.cadence_corpus import GROUP, ONE, STANDUP, TEAM, THIRD, Case, D

HOLDOUT: list[Case] = [
    # ---------------------------------------------------------------- counts
    Case(
        "counts",
        "Time commitment: roughly 10 hrs/week of research; we catch up 3 times per week over Google Meet.",
        (D(ONE, 3, 3),),
    ),
    Case("counts", "Meeting frequency | 4x weekly\nFormat | video call", (D(ONE, 4, 4),)),
    Case(
        "counts",
        "You'll sit down with your supervisor 2 times each week to go over progress.",
        (D(ONE, 2, 2),),
    ),
    Case("counts", "Scholars touch base with me three times every week.", (D(ONE, 3, 3),)),
    Case("counts", "Our lab runs 1 all-hands per week; attendance is expected.", (D(TEAM, 1, 1),)),
    Case("counts", "Each fellow is met individually 2x a week.", (D(ONE, 2, 2),)),
    Case(
        "counts",
        "What to expect: 3 syncs/week with your mentor, async feedback on drafts.",
        (D(ONE, 3, 3),),
    ),
    Case("counts", "We hop on a call 4 times each week — short ones, mostly debugging.", (D(ONE, 4, 4),)),
    # ---------------------------------------------------------------- ranges
    Case("ranges", "We'll get together 2–4 times a week, depending on your stage.", (D(ONE, 2, 4),)),
    Case("ranges", "Supervision: once or twice weekly, in person where possible.", (D(ONE, 1, 2),)),
    Case("ranges", "Expect between one and two catch-ups every week.", (D(ONE, 1, 2),)),
    Case("ranges", "Mentees typically pair with me 3 or 4 times a week.", (D(ONE, 3, 4),)),
    Case("ranges", "Team meetings run 1-2x/wk.", (D(TEAM, 1, 2),)),
    Case("ranges", "Contact | 2–3 calls per week", (D(ONE, 2, 3),)),
    Case("ranges", "Scrum happens three to five days a week depending on the sprint.", (D(STANDUP, 3, 5),)),
    Case("ranges", "I aim to catch up with each of you two or three times per week.", (D(ONE, 2, 3),)),
    # ---------------------------------------------------------------- words
    Case("words", "You'll touch base with me once every week.", (D(ONE, 1, 1),)),
    Case("words", "We sync up twice a week.", (D(ONE, 2, 2),)),
    Case("words", "Supervisory meetings take place weekly throughout the project.", (D(ONE, 1, 1),)),
    Case("words", "Mentees get together with me semiweekly.", (D(ONE, 2, 2),)),
    Case("words", "I sit down with scholars each weekday afternoon.", (D(ONE, 5, 5),)),
    Case("words", "Check-ins happen every single workday.", (D(ONE, 5, 5),)),
    Case("words", "We have calls three days a week.", (D(ONE, 3, 3),)),
    Case("words", "The two of us will get together once weekly.", (D(ONE, 1, 1),)),
    # ---------------------------------------------------------------- fortnightly / monthly
    Case("fortnightly/monthly", "We catch up once a fortnight.", (D(ONE, 0.5, 0.5),)),
    Case("fortnightly/monthly", "You'll meet your supervisor every 2 wks.", (D(ONE, 0.5, 0.5),)),
    Case("fortnightly/monthly", "Our journal club convenes once per month.", (D(GROUP, 0.25, 0.25),)),
    Case("fortnightly/monthly", "Team meetings are scheduled every 4 weeks.", (D(TEAM, 0.25, 0.25),)),
    Case(
        "fortnightly/monthly",
        "Scholars are met individually once every three weeks.",
        (D(ONE, THIRD, THIRD),),
    ),
    # ---------------------------------------------------------------- weekdays
    Case("weekdays", "We catch up Tuesdays and Fridays.", (D(ONE, 2, 2),)),
    Case("weekdays", "Standup: Mon, Wed, Thu at 09:30.", (D(STANDUP, 3, 3),)),
    Case("weekdays", "Our reading group gathers every Wednesday at noon.", (D(GROUP, 1, 1),)),
    Case("weekdays", "I'll sync with you every other Thursday.", (D(ONE, 0.5, 0.5),)),
    Case("weekdays", "1:1s fall on Monday, Wednesday and Friday mornings.", (D(ONE, 3, 3),)),
    Case("weekdays", "Each Friday afternoon we sit down together for a retro.", (D(ONE, 1, 1),)),
    Case("weekdays", "Lab meeting every Monday; I'm travelling most Thursdays.", (D(TEAM, 1, 1),)),
    Case("weekdays", "We get together weekly, on Wednesdays.", (D(ONE, 1, 1),)),
    Case("weekdays", "Tues/Thurs check-ins over Zoom.", (D(ONE, 2, 2),)),
    # ---------------------------------------------------------------- lengths
    Case("lengths", "You'll have a 45-min 1-1 with me every week.", (D(ONE, 1, 1, 45),)),
    Case("lengths", "Weekly catch-ups of about an hour.", (D(ONE, 1, 1, 60),)),
    Case("lengths", "We sync for 25 minutes twice a week.", (D(ONE, 2, 2, 25),)),
    Case("lengths", "Two-hour group session each Friday.", (D(GROUP, 1, 1, 120),)),
    Case("lengths", "Fortnightly supervision, 1.5 h.", (D(ONE, 0.5, 0.5, 90),)),
    Case("lengths", "Daily scrum (15 mins).", (D(STANDUP, 5, 5, 15),)),
    Case("lengths", "A three-hour working session once a week.", (D(ONE, 1, 1, 180),)),
    Case("lengths", "We hop on a call weekly for 20-40 min.", (D(ONE, 1, 1),), review=True),
    Case(
        "lengths",
        "Each scholar gets one hour to ninety minutes with me every fortnight.",
        (D(ONE, 0.5, 0.5),),
        review=True,
    ),
    # ---------------------------------------------------------------- kinds
    Case("kinds", "A lab meeting takes place every week for the whole group.", (D(TEAM, 1, 1),)),
    Case("kinds", "Weekly scrum with the engineers.", (D(STANDUP, 1, 1),)),
    Case("kinds", "Scholars present at journal club once a week.", (D(GROUP, 1, 1),)),
    Case("kinds", "Weekly one-to-one supervision with your primary supervisor.", (D(ONE, 1, 1),)),
    Case("kinds", "Project meetings happen twice weekly.", (D(TEAM, 2, 2),)),
    Case("kinds", "The cohort gets together as a group every week.", (D(GROUP, 1, 1),)),
    Case("kinds", "All-hands: monthly.", (D(TEAM, 0.25, 0.25),)),
    Case("kinds", "Group sessions run twice a week.", (D(GROUP, 2, 2),)),
    # ---------------------------------------------------------------- several demands
    Case(
        "several demands",
        "Meetings: weekly 1-on-1 (30 min) + fortnightly lab meeting (1 h).",
        (D(ONE, 1, 1, 30), D(TEAM, 0.5, 0.5, 60)),
    ),
    Case(
        "several demands",
        "You'll have a stand-up every weekday and a one-to-one every Wednesday.",
        (D(STANDUP, 5, 5), D(ONE, 1, 1)),
    ),
    Case("several demands", "Each week: two 1:1s and one reading group.", (D(ONE, 2, 2), D(GROUP, 1, 1))),
    Case(
        "several demands",
        "We sync daily over Slack huddles and hold a team meeting on Mondays.",
        (D(ONE, 5, 5), D(TEAM, 1, 1)),
    ),
    Case(
        "several demands",
        "Time commitment: a 1-1 each week, journal club every other week, and an all-hands monthly.",
        (D(ONE, 1, 1), D(GROUP, 0.5, 0.5), D(TEAM, 0.25, 0.25)),
    ),
    Case(
        "several demands",
        "Individual meetings twice a week, plus a weekly group call.",
        (D(ONE, 2, 2), D(GROUP, 1, 1)),
    ),
    Case(
        "several demands",
        "Frequency | Weekly (individual) and fortnightly (group)",
        (D(ONE, 1, 1), D(GROUP, 0.5, 0.5)),
    ),
    Case(
        "several demands",
        "We pair twice a week for an hour, and the whole lab gets together for a lab meeting every Friday.",
        (D(ONE, 2, 2, 60), D(TEAM, 1, 1)),
    ),
    Case(
        "several demands",
        "Scholars join a daily standup (10 min) and have 1:1s with me weekly (45 min).",
        (D(STANDUP, 5, 5, 10), D(ONE, 1, 1, 45)),
    ),
    # ---------------------------------------------------------------- british
    Case(
        "british",
        "Supervision meetings take place once a fortnight throughout the programme.",
        (D(ONE, 0.5, 0.5),),
    ),
    Case("british", "We'll have a catch-up every week, usually over a cuppa.", (D(ONE, 1, 1),)),
    Case("british", "Our lab meeting is held on Tuesday mornings in term.", (D(TEAM, 1, 1),)),
    Case(
        "british",
        "The programme includes a fortnightly one-to-one and a monthly group session.",
        (D(ONE, 0.5, 0.5), D(GROUP, 0.25, 0.25)),
    ),
    Case(
        "british",
        "Students are expected to meet their supervisor at least once a fortnight.",
        review=True,
    ),
    Case(
        "british",
        "Organised one-to-ones twice weekly; colour-coded notes shared afterwards.",
        (D(ONE, 2, 2),),
    ),
    Case("british", "PhD students have a minuted supervisory meeting every month.", (D(ONE, 0.25, 0.25),)),
    # ---------------------------------------------------------------- bullets / parentheses
    Case(
        "bullets/parentheses",
        "What to expect:\n- 1:1 with me (weekly, ~1 hr)\n- Slack for async questions",
        (D(ONE, 1, 1, 60),),
    ),
    Case(
        "bullets/parentheses",
        "Meetings:\n• Individual – twice per week\n• Group – every Friday",
        (D(ONE, 2, 2), D(GROUP, 1, 1)),
    ),
    Case(
        "bullets/parentheses",
        "- Check-ins: Mon & Thu\n- Office hours: by appointment",
        (D(ONE, 2, 2),),
    ),
    Case("bullets/parentheses", "* Stand-up (daily, 10–15 min)", (D(STANDUP, 5, 5),), review=True),
    Case(
        "bullets/parentheses",
        "Supervision (in person, every two weeks, roughly 60 minutes)",
        (D(ONE, 0.5, 0.5, 60),),
    ),
    Case(
        "bullets/parentheses",
        "Format:\n1. Weekly group session\n2. One-on-ones every other week",
        (D(GROUP, 1, 1), D(ONE, 0.5, 0.5)),
    ),
    Case("bullets/parentheses", "Mentor contact — 3x per week (short calls)", (D(ONE, 3, 3),)),
    # ---------------------------------------------------------------- abbreviations
    Case("abbreviations", "1:1 w/ mentor 2x/wk, 30m each.", (D(ONE, 2, 2, 30),)),
    Case("abbreviations", "Mtgs: 1/wk", (D(ONE, 1, 1),)),
    Case("abbreviations", "Grp mtg every Fri; 1-1s Tue.", (D(GROUP, 1, 1), D(ONE, 1, 1))),
    Case("abbreviations", "Sync 3x wkly, ~20 min.", (D(ONE, 3, 3, 20),)),
    Case("abbreviations", "Lab mtg biwk.", review=True),
    Case("abbreviations", "1:1s M/W/F, 45 min.", (D(ONE, 3, 3, 45),)),
    Case("abbreviations", "Standup M–F @ 10am ET.", (D(STANDUP, 5, 5),)),
    Case("abbreviations", "Check-in 1x/fortnight (60 min).", (D(ONE, 0.5, 0.5, 60),)),
    # ---------------------------------------------------------------- ambiguous
    Case("ambiguous", "We'll touch base biweekly.", review=True),
    Case("ambiguous", "Meetings happen a couple of times a week.", review=True),
    Case("ambiguous", "I meet with students regularly.", review=True),
    Case("ambiguous", "We sync weekly or every other week, whichever suits you.", review=True),
    Case("ambiguous", "Calls are arranged as needed.", review=True),
    Case("ambiguous", "Check-ins several times per week.", review=True),
    Case("ambiguous", "Bimonthly lab meeting.", review=True),
    Case(
        "ambiguous",
        "We'll hop on a call a few times each week, plus a weekly group meeting.",
        (D(GROUP, 1, 1),),
        review=True,
    ),
    Case("ambiguous", "Supervision meetings: at least weekly.", review=True),
    Case("ambiguous", "Up to three 1:1s a week if you want them.", review=True),
    Case(
        "ambiguous",
        "Ad hoc calls whenever you're stuck; otherwise we get together every Monday.",
        (D(ONE, 1, 1),),
    ),
    # ---------------------------------------------------------------- copied / contradiction
    Case("copied/contradiction", "Check-ins are weekly.\nCheck-ins: two per week.", review=True),
    Case(
        "copied/contradiction", "1:1s happen fortnightly. Scholars will have a 1:1 every week.", review=True
    ),
    Case(
        "copied/contradiction",
        "We'll sync weekly during the research sprint, then every two weeks during the write-up phase.",
        review=True,
    ),
    Case(
        "copied/contradiction",
        "Meeting cadence: weekly 1:1.\nMeeting cadence: weekly 1:1.",
        (D(ONE, 1, 1),),
    ),
    Case(
        "copied/contradiction",
        "During the first month we pair daily; after that we drop to twice a week.",
        review=True,
    ),
    Case(
        "copied/contradiction",
        "Group meetings happen monthly. Our group meeting is every Friday.",
        review=True,
    ),
    Case(
        "copied/contradiction",
        "Team meeting weekly; 1:1 weekly; team meeting every other week.",
        (D(ONE, 1, 1),),
        review=True,
    ),
    # ---------------------------------------------------------------- out of range
    Case("out of range", "Daily check-ins lasting 2 minutes.", (D(ONE, 5, 5),), review=True),
    Case("out of range", "Scholars check in with me twice a day.", review=True),
    Case("out of range", "We sync 10 times a week across time zones.", review=True),
    Case("out of range", "Stand-ups 0-2x per week depending on deadlines.", review=True),
    Case("out of range", "We touch base three times a month.", review=True),
    Case("out of range", "A weekly all-hands lasting 9 hours.", (D(TEAM, 1, 1),), review=True),
    # ---------------------------------------------------------------- no cadence
    Case(
        "no cadence",
        "Scholars write a weekly research log and submit a monthly report; there are no scheduled meetings.",
        review=True,
    ),
    Case(
        "no cadence",
        "The lab was founded in 2015 and meets the highest standards of research ethics.",
        review=True,
    ),
    Case("no cadence", "Compute budget: 2 GPUs per scholar, refreshed every week.", review=True),
    Case("no cadence", "Time commitment: 20 hours a week, 3 days a week on site.", review=True),
    Case("no cadence", "Weekly stipend of £600, paid fortnightly.", review=True),
    Case("no cadence", "Our group publishes twice a year at NeurIPS and ICML.", review=True),
    Case("no cadence", "I check Slack every weekday and review pull requests twice a week.", review=True),
    Case("no cadence", "Weekly office hours are not offered this cohort.", review=True),
    Case(
        "no cadence",
        "Supervisors and students agree a meeting schedule at the start of each term.",
        review=True,
    ),
    Case(
        "no cadence",
        "Daily: run experiments. Weekly: write up results. Monthly: present a poster.",
        review=True,
    ),
]
