"""Second held-out check of `cohort.cadence.parse_cadence` on `HOLDOUT_2`, with the corpus test's own assertions."""

from collections import Counter

import pytest

from tests.cohort.cadence_corpus import CATEGORIES, CORPUS, Case
from tests.cohort.cadence_holdout import HOLDOUT
from tests.cohort.cadence_holdout_2 import HOLDOUT_2
from tests.cohort.test_cadence_corpus import KINDS, case_ids, normalised
from tests.cohort.test_cadence_corpus import test_corpus_case as check_case


def test_holdout_2_is_well_formed_and_apart_from_the_earlier_sets():
    assert len(HOLDOUT_2) == 100
    assert {case.category for case in HOLDOUT_2} <= set(CATEGORIES)
    texts = Counter(normalised(case.text) for case in HOLDOUT_2)
    assert not [text for text, n in texts.items() if n > 1], "duplicate texts"
    assert not set(texts) & {normalised(case.text) for case in CORPUS}, "texts copied from the corpus"
    assert not set(texts) & {normalised(case.text) for case in HOLDOUT}, "texts copied from the first holdout"
    assert len(set(case_ids(HOLDOUT_2))) == len(HOLDOUT_2)
    for case in HOLDOUT_2:
        assert case.text.strip(), case
        for demand in case.expected:
            assert demand.kind in KINDS, case
            assert 0 < demand.per_week_min <= demand.per_week_max <= 7, case
            assert demand.minutes is None or 5 <= demand.minutes <= 480, case
        if not case.review:
            assert case.expected, f"a case read without review must expect a demand: {case}"
        if case.category == "no cadence":
            assert case.review, case
            assert case.expected == (), case


@pytest.mark.parametrize("case", HOLDOUT_2, ids=case_ids(HOLDOUT_2))
def test_holdout_2_case(case: Case):
    check_case(case)
