"""The one slug rule, shared by streams, mentors and scholars."""

import pytest

from cohort.slugs import slugify_ascii


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Adrià Garriga Alonso", "adria-garriga-alonso"),
        ("Søren Ødegård", "soren-odegard"),
        ("Evaluations & Red-Teaming", "evaluations-red-teaming"),
        ("  Mary-Jane  O'Neil ", "mary-jane-o-neil"),
    ],
)
def test_slugs_are_lowercase_ascii(name, slug):
    assert slugify_ascii(name) == slug


def test_name_without_latin_letters_gets_a_stable_ascii_slug():
    assert slugify_ascii("李明") == slugify_ascii("李明")
    assert slugify_ascii("李明").isascii()
    assert slugify_ascii("李明") != slugify_ascii("王芳")
