"""The publishing workflow is a thin wrapper: valid YAML, pinned actions, and only commands the README documents
and CI (.ci/run) runs too."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def workflow_steps() -> list[dict]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def make_targets() -> set[str]:
    return set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), flags=re.M))


def test_workflow_runs_on_push_to_main_and_deploys_pages() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["push"]["branches"] == ["main"]
    uses = [step["uses"] for step in workflow_steps() if "uses" in step]
    assert any(action.startswith("actions/deploy-pages@") for action in uses)
    assert any(action.startswith("actions/upload-pages-artifact@") for action in uses)


def test_every_action_is_pinned_to_a_version() -> None:
    for step in workflow_steps():
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+(\.\d+){0,2}", step["uses"]), step["uses"]


def test_every_command_is_a_documented_make_target_that_ci_also_runs() -> None:
    readme, ci = (ROOT / "README.md").read_text(), (ROOT / ".ci" / "run").read_text()
    commands = [step["run"].strip() for step in workflow_steps() if "run" in step]
    assert commands, "the workflow runs no commands"
    for command in commands:
        target = re.fullmatch(r"make ([\w-]+)", command)
        assert target, f"{command!r} is not a Makefile target"
        assert target.group(1) in make_targets(), command
        assert f"make {target.group(1)}" in readme, f"the README does not document {command!r}"
        if target.group(1) != "install":  # .ci/run installs into a fresh venv with the same pip command
            assert f"make {target.group(1)}" in ci, f".ci/run does not run {command!r}"
