"""Every chapter runs through nbval under the plain `pytest` command.

nbval collects only .ipynb files, so each chapter in book/ (a jupytext MyST notebook) is converted into a
mirror folder, _build/nbval/book/, which pyproject.toml lists among the test paths. The conversion runs when
pytest imports this file, before it resolves those paths, so a fresh checkout collects every chapter. The
copies never sit beside the .md sources, where the book build would find two files for one page.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import jupytext

ROOT = Path(__file__).parent
CHAPTERS = ROOT / "book"
MIRROR = ROOT / "_build" / "nbval" / "book"


def chapter_sources() -> list[Path]:
    """The chapters that are notebooks: book/*.md files whose front matter names a kernel."""
    return sorted(p for p in CHAPTERS.glob("*.md") if "kernelspec" in jupytext.read(p).metadata)


def write_mirror() -> None:
    """Replace _build/nbval/book/ with a fresh .ipynb copy of every chapter."""
    shutil.rmtree(MIRROR, ignore_errors=True)
    MIRROR.mkdir(parents=True)
    for source in chapter_sources():
        jupytext.write(jupytext.read(source), MIRROR / f"{source.stem}.ipynb")


write_mirror()
