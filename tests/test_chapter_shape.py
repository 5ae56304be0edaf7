"""What a reader sees of a chapter's code: short cells, no glue plumbing, claims checked by `check` rather than
by rows of asserts (issue: claims as tested objects)."""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = sorted(BOOK.glob("*.md"))
LONGEST_CELL = 25  # lines
MOST_ASSERTS = 4  # per chapter, for things that are not claims of the paper (exercise solutions)


def code_cells(chapter: Path) -> list[str]:
    notebook = jupytext.read(chapter)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_code_is_short_and_free_of_plumbing(chapter: Path) -> None:
    cells = code_cells(chapter)
    long = [cell.splitlines()[0] for cell in cells if len(cell.splitlines()) > LONGEST_CELL]
    assert not long, f"{chapter.name}: cells over {LONGEST_CELL} lines, starting {long}"
    lines = [line.strip() for cell in cells for line in cell.splitlines()]
    assert not [line for line in lines if "glue(" in line and "glue_" not in line], f"{chapter.name} calls glue("
    asserts = [line for line in lines if line.startswith("assert ")]
    assert len(asserts) <= MOST_ASSERTS, f"{chapter.name}: {len(asserts)} asserts: {asserts}"
