"""What a reader sees of a chapter's code: short cells, no glue plumbing, claims checked by `check` rather than
by rows of asserts (issue: claims as tested objects)."""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = sorted(BOOK.glob("*.md"))
LONGEST_CELL = 25  # lines
BODY_ASSERTS = 2  # asserts outside exercise solutions: checks of the book's own code, not claims of the paper


def code_cells(chapter: Path) -> list[str]:
    notebook = jupytext.read(chapter)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def asserts_by_place(chapter: Path) -> tuple[list[str], list[int]]:
    """The assert lines outside solutions, and the number of assert lines in each solution."""
    body, solutions, inside = [], [], False
    for line in chapter.read_text().splitlines():
        if "solution-start" in line:
            inside, solutions = True, [*solutions, 0]
        elif "solution-end" in line:
            inside = False
        elif line.strip().startswith("assert "):
            if inside:
                solutions[-1] += 1
            else:
                body.append(line.strip())
    return body, solutions


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_code_is_short_and_free_of_plumbing(chapter: Path) -> None:
    cells = code_cells(chapter)
    long = [cell.splitlines()[0] for cell in cells if len(cell.splitlines()) > LONGEST_CELL]
    assert not long, f"{chapter.name}: cells over {LONGEST_CELL} lines, starting {long}"
    lines = [line.strip() for cell in cells for line in cell.splitlines()]
    assert not [line for line in lines if "glue(" in line and "glue_" not in line], f"{chapter.name} calls glue("
    body, solutions = asserts_by_place(chapter)
    assert len(body) <= BODY_ASSERTS, f"{chapter.name}: {len(body)} asserts outside solutions: {body}"
    assert all(count <= 1 for count in solutions), f"{chapter.name}: a solution with several asserts {solutions}"
