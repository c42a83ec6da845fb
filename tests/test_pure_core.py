"""The pure core loads without Django or Celery, so it can be tested and benchmarked on its own."""

import subprocess
import sys
from pathlib import Path

PURE_MODULES = [
    "cohort.stream_document",
    "cohort.time_zones",
    "cohort.cadence",
    "scheduling.recurrence",
    "scheduling.ics",
    "scheduling.planner",
]


def test_the_pure_core_imports_no_framework():
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; import {', '.join(PURE_MODULES)}; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'django', 'celery', 'rest_framework'}))",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=True,
    )

    assert loaded.stdout.strip() == "[]"
