"""What the tests that read the built book share: where it is, whether it is current, and what to do when not.

Under plain `pytest` (as `make test` runs it, before any build) those tests skip with the reason; `make browser-test`,
run after `make book` and `make notebooks`, sets GRADFAIL_REQUIRE_BUILD=1, which turns every such skip into a
failure, so CI cannot pass without the checks.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

from gradfail.notebooks import chapter_sources

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
HTML = BUILD / "html"
EXECUTED = BUILD / "jupyter_execute" / "book"
NOTEBOOKS = BUILD / "notebooks"  # what `make notebooks` writes
REQUIRED = "GRADFAIL_REQUIRE_BUILD"


def unavailable(reason: str) -> NoReturn:
    """Skip, or fail where the check is required (GRADFAIL_REQUIRE_BUILD=1)."""
    if os.environ.get(REQUIRED) == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def built_at() -> float:
    """When the book was last built (Sphinx rewrites `.buildinfo` on every build)."""
    info = HTML / ".buildinfo"
    if not info.is_file() or not (HTML / "objects.inv").is_file():
        unavailable("the book is not built: run `make book` first")
    return info.stat().st_mtime


def require_current_build() -> Path:
    """The build folder, when it holds every chapter, executed and as a page, built after the last source edit."""
    when = built_at()
    sources = [ROOT / "_config.yml", ROOT / "_toc.yml", *(ROOT / "book").glob("*.md")]
    if max(path.stat().st_mtime for path in sources) > when:
        unavailable("the built book is older than its sources: rebuild it (`make book`) before checking it")
    for source in chapter_sources(ROOT / "book"):
        if not (EXECUTED / f"{source.stem}.ipynb").is_file() or not (HTML / "book" / f"{source.stem}.html").is_file():
            unavailable(f"the build has no {source.stem}: run `make book` first")
    return BUILD


def require_current_notebooks() -> Path:
    """The folder `make notebooks` writes, when it holds every chapter, written after the last build."""
    when = built_at()
    for source in chapter_sources(ROOT / "book"):
        path = NOTEBOOKS / "book" / f"{source.stem}.ipynb"
        if not path.is_file() or path.stat().st_mtime < when:
            unavailable("the readable notebooks are missing or older than the build: run `make notebooks`")
    return NOTEBOOKS
