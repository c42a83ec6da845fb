"""Stream-document import: parse and write times for growing documents, so linearity shows in the per-mentor
and per-megabyte figures.

Run: ``python3 run.py bench import`` (or ``.venv/bin/python -m tests.bench.bench_import``). Each document is
synthetic (tests/bench/synthetic.py: every section carries a cadence and the same boilerplate passage) and goes
into a fresh database: PostgreSQL when ``run.py bench`` finds one, else SQLite. Parse is decoding and reading
the text (the pure core, cadences included); write is the importer's one transaction (streams, mentors, their
audit entries and the warnings).
"""

from __future__ import annotations

import time
from pathlib import Path

from tests.bench.database import bench_database
from tests.bench.synthetic import synthetic_stream_document

# (label, mentors, characters per section)
CASES = (
    ("100 mentors", 100, 1_000),
    ("1,000 mentors", 1_000, 1_000),
    ("5,000 mentors", 5_000, 1_000),
    ("1 MB of text", 200, 5_000),
    ("10 MB of text", 2_000, 5_000),
)


def main() -> None:
    with bench_database() as vendor:
        # Django's app registry refuses model imports until bench_database() has set Django up.
        from cohort.cadence import _read_short_sentence
        from cohort.stream_document import decode_stream_document, parse_stream_document
        from mentors.models import ImportWarning
        from mentors.stream_import import import_parsed_documents

        print(f"Stream-document import ({vendor}): parse and write, each document into the same database")
        print(
            f"  {'case':<15} {'bytes':>11} {'mentors':>8} {'parse s':>8} {'write s':>8} {'total s':>8}"
            f" {'ms/mentor':>10} {'s/MB':>6} {'warnings':>9}"
        )
        first = 0
        for seed, (label, mentors, section_chars) in enumerate(CASES):
            data = synthetic_stream_document(
                seed, title=f"Bench {label}", mentors=mentors, section_chars=section_chars, first=first
            ).encode()
            first += mentors
            name = f"bench-{seed}.txt"
            _read_short_sentence.cache_clear()  # each document read cold, whatever the one before shared with it
            started = time.perf_counter()
            document = parse_stream_document(decode_stream_document(data, filename=name), filename=name)
            parsed = time.perf_counter()
            [report] = import_parsed_documents([(Path(name), document)])
            written = time.perf_counter()
            total = written - started
            warnings = ImportWarning.objects.filter(stream__slug=report.stream_slug).count()
            print(
                f"  {label:<15} {len(data):>11,} {mentors:>8,} {parsed - started:>8.2f} {written - parsed:>8.2f}"
                f" {total:>8.2f} {total / mentors * 1000:>10.2f} {total / (len(data) / 1e6):>6.2f} {warnings:>9,}"
            )


if __name__ == "__main__":
    main()
