"""Every example in the documentation runs as written: each ```python and ```bash (or ```sh,
```shell) block of README.md and docs/*.md is a test.

Markers, each an HTML comment alone on the line just before the opening fence (invisible on the
rendered page):

- `<!-- fragment: <why> -->` — the block is not run. For what cannot run here or should not run in a
  test: an installation (`pip install ...`), a server that runs until Ctrl-C, a command that needs
  your own app, a database server or a running demo. The reason is required, and shown in the test's
  skip message.
- `<!-- file: <name> -->` — the block is also the file `<name>` in its page's working directory,
  written before any block of that page runs, so that other blocks of the page can use it (`flask
  --app myapp ...`, `python -m pytest test_things.py`, `from myapp import create_app`).

Every block of a page runs in that page's own temporary directory, in a fresh process:

- a Python block in a new interpreter (`python -W error::RuntimeWarning`: an example must not warn),
  with `SMTP_PASSWORD` set to a placeholder (the mail page's example reads it). It must exit with 0.
  Then every Flask app with frappyauth that the block leaves in its globals must answer its OpenAPI
  document: the example built a working app, not only one that imports.
- a shell block with `bash -euo pipefail`, this interpreter's `bin` first on the `PATH` (so `python`
  and `flask` are the ones of this environment). It must exit with 0.

Examples that need MongoDB use `mongomock`, as frappyauth's own tests do. Blocks that take more than
a few seconds are marked slow (`SLOW`): `pytest -m "not slow"` leaves them out.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUN_LANGUAGES = {
    "python": "python",
    "py": "python",
    "bash": "shell",
    "sh": "shell",
    "shell": "shell",
}
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<language>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
MARKER = re.compile(r"^[ \t]*<!--\s*(?P<kind>fragment|file)\s*(?::\s*(?P<value>.*?))?\s*-->[ \t]*$")
SLOW = {
    ("testing.md", "python -m pytest -q test_things.py")
}  # (page, first line): a nested pytest run
TIMEOUT = 60  # seconds per block

# Run after a Python block: the apps it built must serve requests, not only import.
EXERCISE = """
import runpy, sys
from flask import Flask
namespace = runpy.run_path(sys.argv[1], run_name="__main__")
for name, value in list(namespace.items()):
    if isinstance(value, Flask) and "frappyauth" in value.extensions:
        prefix = value.extensions["frappyauth"].services.options.api_prefix
        answer = value.test_client().get(prefix + "/openapi.json")
        body = answer.get_data(as_text=True)[:300]
        assert answer.status_code == 200, (name, answer.status_code, body)
"""


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    language: str  # "python" or "shell"
    code: str
    fragment: str | None  # the reason, for a block that is not run
    file: str | None  # the file name the block also is

    @property
    def id(self) -> str:
        return f"{self.page.name}:{self.line}"


def blocks_of(page: Path) -> list[Block]:
    """The runnable-language blocks of a page, with the marker on the line before each."""
    text = page.read_text(encoding="utf-8")
    found = []
    for fence in FENCE.finditer(text):
        language = RUN_LANGUAGES.get(fence.group("language").lower())
        if language is None:
            continue
        line = text.count("\n", 0, fence.start()) + 1
        previous = text[: fence.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = MARKER.match(previous)
        kind, value = (marker.group("kind"), marker.group("value")) if marker else (None, None)
        code = textwrap.dedent(fence.group("body"))
        found.append(
            Block(
                page,
                line,
                language,
                code,
                value or "" if kind == "fragment" else None,
                value if kind == "file" else None,
            )
        )
    return found


BLOCKS = [block for page in PAGES for block in blocks_of(page)]


def first_line(block: Block) -> str:
    return next((line for line in block.code.splitlines() if line.strip()), "")


def params() -> list[object]:
    return [
        pytest.param(
            block,
            id=block.id,
            marks=[pytest.mark.slow] if (block.page.name, first_line(block)) in SLOW else [],
        )
        for block in BLOCKS
    ]


@pytest.fixture(scope="module")
def page_directories(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Path]:
    """One working directory per page, holding the page's `file:` blocks."""
    directories = {}
    for page in PAGES:
        directory = tmp_path_factory.mktemp(page.stem)
        for block in blocks_of(page):
            if block.file:
                (directory / block.file).write_text(block.code, encoding="utf-8")
        directories[page] = directory
    return directories


def environment() -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("FRAPPYAUTH_", "MONGODB_URI", "FLASK_", "PYTEST_"))
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["SMTP_PASSWORD"] = "placeholder, never sent"
    return env


def run(block: Block, directory: Path) -> subprocess.CompletedProcess[str]:
    if block.language == "python":
        script = directory / f"example_{block.line}.py"
        script.write_text(block.code, encoding="utf-8")
        exercise = directory / "exercise_example.py"
        exercise.write_text(EXERCISE, encoding="utf-8")
        command = [sys.executable, "-W", "error::RuntimeWarning", str(exercise), str(script)]
    else:
        command = ["bash", "-euo", "pipefail", "-c", block.code]
    return subprocess.run(
        command,
        cwd=directory,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("block", params())
def test_the_example_runs_as_written(block: Block, page_directories: dict[Path, Path]) -> None:
    if block.fragment is not None:
        pytest.skip(f"fragment: {block.fragment}")
    result = run(block, page_directories[block.page])
    assert result.returncode == 0, (
        f"{block.id} failed ({result.returncode}):\n{block.code}\n"
        f"--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
    )


def test_every_fragment_says_why_it_is_not_run() -> None:
    unexplained = [
        block.id for block in BLOCKS if block.fragment is not None and not block.fragment.strip()
    ]
    assert unexplained == []


def test_the_collector_finds_the_examples_and_their_markers() -> None:
    """Guards the tests above against passing because nothing was collected."""
    by_id = {block.id: block for block in BLOCKS}
    runnable = [block for block in BLOCKS if block.fragment is None]
    assert len(runnable) >= 20 and any(block.language == "shell" for block in runnable)
    assert any(block.page.name == "README.md" and block.fragment is not None for block in BLOCKS)
    assert any(block.file == "myapp.py" for block in BLOCKS)
    assert all(
        block.page.name in {"README.md"} | {page.name for page in PAGES} for block in by_id.values()
    )


def test_a_failing_example_fails(tmp_path: Path) -> None:
    """The runner reports a failure, and exercises the app a block builds."""
    code = (
        "from flask import Flask\nfrom frappyauth import register_endpoints\n"
        "from frappyauth.stores.memory import MemoryUserStore\napp = Flask('x')\n"
        "register_endpoints(app, MemoryUserStore())\n"
        "app.view_functions['frappyauth.serve_openapi_get'] = None  # builds, but does not answer\n"
    )
    broken = Block(tmp_path / "x.md", 1, "python", code, None, None)
    assert run(broken, tmp_path).returncode != 0
    assert (
        run(Block(tmp_path / "x.md", 2, "shell", "false\n", None, None), tmp_path).returncode != 0
    )
