"""The release is stated once in meaning: gradfail.__version__, pyproject.toml, CITATION.cff, the newest release of
CHANGELOG.md and the book's footer name the same version, and the licence files say what they cover."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

import gradfail

ROOT = Path(__file__).resolve().parents[1]
RELEASE_HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\](?: - (?P<date>\d{4}-\d{2}-\d{2}))?\s*$", flags=re.M)


def changelog_releases() -> list[tuple[str, str | None]]:
    """(version, date) of every release heading of CHANGELOG.md, newest first, `Unreleased` included."""
    text = (ROOT / "CHANGELOG.md").read_text()
    return [(match["version"], match["date"]) for match in RELEASE_HEADING.finditer(text)]


def citation() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text())


def test_version_is_semantic() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", gradfail.__version__), gradfail.__version__


def test_pyproject_names_the_package_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["version"] == gradfail.__version__


def test_changelog_newest_release_is_the_package_version() -> None:
    releases = changelog_releases()
    assert releases[0] == ("Unreleased", None), "CHANGELOG.md must open with an [Unreleased] section"
    version, date = releases[1]
    assert version == gradfail.__version__, f"CHANGELOG.md's newest release is {version}"
    assert date is not None, f"release {version} has no date"
    assert f"[{version}]: https://" in (ROOT / "CHANGELOG.md").read_text(), f"no link for release {version}"


def test_citation_names_the_package_version_and_release_date() -> None:
    cff = citation()
    assert cff["cff-version"] == "1.2.0"
    assert str(cff["version"]) == gradfail.__version__
    assert str(cff["date-released"]) == changelog_releases()[1][1]


def test_citation_lists_both_licences_and_the_paper() -> None:
    cff = citation()
    assert cff["license"] == ["MIT", "CC-BY-4.0"]
    titles = [reference["title"] for reference in cff["references"]]
    assert "Failures of Gradient-Based Deep Learning" in titles


def test_book_footer_shows_the_package_version_and_licences() -> None:
    footer = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["extra_footer"]
    assert re.findall(r"gradfail (\d+\.\d+\.\d+)", footer) == [gradfail.__version__]
    assert "MIT" in footer
    assert "CC BY 4.0" in footer


def test_licence_files_cover_code_and_text() -> None:
    licence = (ROOT / "LICENSE").read_text()
    assert "MIT License" in licence
    assert "Permission is hereby granted, free of charge" in licence
    assert "Creative Commons Attribution 4.0 International" in licence
    legal_code = (ROOT / "LICENSE-CC-BY-4.0").read_text()
    assert legal_code.startswith("Attribution 4.0 International")
    assert "Section 8 -- Interpretation." in legal_code
