"""What a reader sees of a chapter's code: short cells, no glue plumbing, claims checked by `check` rather than
by rows of asserts (issue: claims as tested objects)."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import jupytext
import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = sorted(BOOK.glob("*.md"))
LONGEST_CELL = 25  # statements (logical lines: a call wrapped at 88 columns is one)
TALLEST_VISIBLE_CELL = 25  # lines on the page, for a cell whose input the reader sees
PROSE_WORDS = 2500  # a page a student reads in one sitting
BODY_ASSERTS = 2  # asserts outside exercise solutions: checks of the book's own code, not claims of the paper


def code_cells(chapter: Path, *, visible_only: bool = False) -> list[str]:
    notebook = jupytext.read(chapter)
    return [
        cell.source
        for cell in notebook.cells
        if cell.cell_type == "code" and not (visible_only and "hide-input" in cell.metadata.get("tags", []))
    ]


def statements(source: str) -> int:
    """The cell's logical lines, as Python's tokenizer counts them."""
    tokens = tokenize.generate_tokens(io.StringIO(source + "\n").readline)
    return sum(token.type == tokenize.NEWLINE for token in tokens)


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


def prose_words(chapter: Path) -> int:
    """Words of the page's Markdown: displayed math and directive lines left out, inline math and roles one word."""
    text = "\n".join(cell.source for cell in jupytext.read(chapter).cells if cell.cell_type == "markdown")
    text = re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)
    text = re.sub(r"\$[^$]+\$|\{[a-z:-]+\}`[^`]*`", "X", text)
    text = re.sub(r"^[`:]{3,}.*$|^:[a-z-]+:.*$|^\(.*\)=$", "", text, flags=re.M)
    return len(re.findall(r"[A-Za-z]\S*", text))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_a_page_reads_in_one_sitting(chapter: Path) -> None:
    assert prose_words(chapter) <= PROSE_WORDS, f"{chapter.name}: {prose_words(chapter)} words of prose"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_code_is_short_and_free_of_plumbing(chapter: Path) -> None:
    cells = code_cells(chapter)
    long = [cell.splitlines()[0] for cell in cells if statements(cell) > LONGEST_CELL]
    assert not long, f"{chapter.name}: cells over {LONGEST_CELL} statements, starting {long}"
    tall = [
        c.splitlines()[0] for c in code_cells(chapter, visible_only=True) if len(c.splitlines()) > TALLEST_VISIBLE_CELL
    ]
    assert not tall, f"{chapter.name}: visible cells over {TALLEST_VISIBLE_CELL} lines, starting {tall}"
    lines = [line.strip() for cell in cells for line in cell.splitlines()]
    assert not [line for line in lines if "glue(" in line and "glue_" not in line], f"{chapter.name} calls glue("
    body, solutions = asserts_by_place(chapter)
    assert len(body) <= BODY_ASSERTS, f"{chapter.name}: {len(body)} asserts outside solutions: {body}"
    assert all(count <= 1 for count in solutions), f"{chapter.name}: a solution with several asserts {solutions}"
