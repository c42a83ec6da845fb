"""The pure core loads without Django or Celery, so it can be tested and benchmarked on its own.

The import-linter contract "The pure core" (pyproject.toml) reads the imports; this test runs them, so it also
catches what the contract cannot see, such as a package's ``__init__`` importing Django. Both use the contract's
list of modules.
"""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pure_modules() -> list[str]:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    [pure] = [contract for contract in contracts if contract["name"].startswith("The pure core")]
    return pure["source_modules"]


def test_the_pure_core_imports_no_framework():
    modules = pure_modules()
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; import {', '.join(modules)}; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'django', 'celery', 'rest_framework'}))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    assert "cohort.cadence" in modules
    assert loaded.stdout.strip() == "[]"
