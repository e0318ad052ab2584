"""The distribution as a user gets it: `python -m build` makes a wheel and an sdist that `twine
check` accepts, and the wheel, installed (not editable) into a fresh virtual environment, works
from an app folder that has a `stores` module of its own: frappyauth installs no top-level
`stores`."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from http_support import ADMIN_PASSWORD

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent

APP_SCRIPT = f"""
import os, sys
import stores  # the app's own module
assert stores.__file__ == os.path.abspath("stores.py"), stores.__file__
import frappyauth
from frappyauth.stores.memory import MemorySessionStore, MemoryUserStore
from frappyauth_demo import create_app
assert "site-packages" in frappyauth.__file__, frappyauth.__file__
app = create_app({{"FRAPPYAUTH_ADMIN_USER": "root",
                  "FRAPPYAUTH_ADMIN_PASSWORD": {ADMIN_PASSWORD!r}}})
response = app.test_client().post("/api/user/login",
                                  json={{"username": "root", "password": {ADMIN_PASSWORD!r}}})
assert response.status_code == 200, response.get_json()
wrong = app.test_client().post("/api/user/login", json={{"username": "root", "password": "no"}},
                               headers={{"Accept-Language": "de"}})
assert wrong.get_json()["message"] == "Benutzername oder Passwort ist falsch.", wrong.get_json()
for name in ["", "app.js", "i18n.js", "console.css"]:  # the console's files came with the wheel
    assert app.test_client().get("/api/user/console/" + name).status_code == 200, name
print("login", response.get_json()["user"]["username"], stores.MARK)
"""


def run(*command: str | Path, cwd: Path = ROOT) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
        env=_without_this_checkout(),
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _without_this_checkout() -> dict[str, str]:
    """The environment, less what would let the checkout or the test run's packages be imported."""
    return {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--outdir", out, ROOT)
    return out


def test_build_makes_a_wheel_and_an_sdist_that_twine_accepts(dist: Path) -> None:
    wheels, sdists = list(dist.glob("frappyauth-*.whl")), list(dist.glob("frappyauth-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1
    assert "PASSED" in run(sys.executable, "-m", "twine", "check", "--strict", *wheels, *sdists)


def test_the_installed_wheel_serves_a_login_next_to_an_apps_own_stores_module(
    dist: Path, tmp_path: Path
) -> None:
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True, system_site_packages=False)
    python = environment / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", next(dist.glob("frappyauth-*.whl")))
    app_folder = tmp_path / "myapp"
    app_folder.mkdir()
    (app_folder / "stores.py").write_text("MARK = 'the-apps-own-stores'\n")
    assert run(python, "-c", APP_SCRIPT, cwd=app_folder).split() == [
        "login",
        "root",
        "the-apps-own-stores",
    ]
    files = run(python, "-m", "pip", "show", "--files", "frappyauth").split("Files:", 1)[1].split()
    assert (
        "frappyauth/stores/memory/users.py" in files and "frappyauth/stores/mongo/users.py" in files
    )
    assert [name for name in files if name.split("/", 1)[0] == "stores"] == []
    assert "frappyauth/data/common-passwords.txt.gz" in files  # refuse_common_passwords' list
