from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from action_runner import Run, run_action
from helpers import SHARED
from hostile import commit, init, plant_shadows
from sarif_checks import fake


@pytest.fixture
def shared() -> Path:
    if not (SHARED / "corpus").is_dir():
        pytest.skip(f"../shared not found at {SHARED}: acceptance corpus tests skipped")
    return SHARED


@pytest.fixture(scope="session")
def action_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Action's cache (actions/cache), one for the session: lekk is installed once."""
    return tmp_path_factory.mktemp("action-cache")


@dataclass(frozen=True)
class FirstRun:
    run: Run
    workspace: Path
    markers: Path
    secret: str
    shadows: list[str]


@pytest.fixture(scope="session")
def first_action_run(tmp_path_factory: pytest.TempPathFactory, action_cache: Path) -> FirstRun:
    """The session's one install of lekk, by the Action's own steps with an empty cache, in a
    checkout that plants a package for every module the Action starts (``venv``, ``pip``,
    ``scanner``) and one leak.  Every later Action run in the session restores this install
    from ``action_cache``; ``installed_lekk`` hands it to tests that need lekk installed."""
    tmp = tmp_path_factory.mktemp("first-action-run")
    markers = tmp / "markers"
    markers.mkdir()
    workspace = init(tmp / "work")
    shadows = plant_shadows(workspace, markers)
    secret = fake("spk_live_")
    commit(workspace, {"app/config.env": f"# SagaPay\nSAGAPAY_API_KEY={secret}\n"}, "leak")
    run = run_action(tmp, workspace, "push", {}, cache=action_cache, mode="files")
    return FirstRun(run, workspace, markers, secret, shadows)


@pytest.fixture(scope="session")
def installed_lekk(first_action_run: FirstRun) -> Path:
    """The Python of a virtual environment with lekk installed (not editable) and nothing else
    but its pinned dependencies: the Action's install."""
    run = first_action_run.run
    assert run.codes.get("install") == 0, run.logs.get("install")
    return Path(run.outputs["install"]["python"])
