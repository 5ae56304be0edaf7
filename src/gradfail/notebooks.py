"""The chapters as stand-alone Jupyter notebooks, for Colab and for nbval.

Each `book/*.md` chapter (a jupytext MyST notebook) is written as an `.ipynb` with no outputs whose first cell
installs the helpers when they are missing, so the same file runs in the repository and on Colab. For an
assignment, the exercises' solutions (sphinx-exercise's gated `solution-start` … `solution-end` blocks) can be
left out.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat

GITHUB_REPOSITORY = "gradfail/gradfail"
NOTEBOOKS_BRANCH = "notebooks"
COLAB = "https://colab.research.google.com"
INSTALL_TAG = "install-gradfail"
SOLUTION_FENCE = "````"  # the gated solution directives are four-backtick fences (see any chapter's exercises)
INSTALL_REQUIREMENT = f"gradfail[notebook] @ git+https://github.com/{GITHUB_REPOSITORY}@main"

INSTALL_SOURCE = f'''\
# Installs the book's helpers where they are missing (on Colab, or in a Jupyter outside the repository).
import importlib.util
import subprocess
import sys

if any(importlib.util.find_spec(module) is None for module in ("gradfail", "myst_nb")):
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "{INSTALL_REQUIREMENT}"], check=True)'''


def chapter_sources(book: Path) -> list[Path]:
    """The chapters in `book`: its .md files whose front matter names a kernel (the bibliography page has none)."""
    if not book.is_dir():
        raise ValueError(f"book must be a folder of chapters; {book} is not a folder")
    return sorted(path for path in book.glob("*.md") if "kernelspec" in jupytext.read(path).metadata)


def install_cell() -> nbformat.NotebookNode:
    """The notebook's first cell: install gradfail (and myst-nb, for `glue`) unless they are importable."""
    return nbformat.v4.new_code_cell(INSTALL_SOURCE, metadata={"tags": [INSTALL_TAG]})


def chapter_notebook(source: Path) -> nbformat.NotebookNode:
    """One chapter as an .ipynb: the install cell, then the chapter's own cells, with every output removed."""
    notebook = jupytext.read(source)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook.cells.insert(0, install_cell())
    notebook.metadata.pop("jupytext", None)
    return notebook


def without_solutions(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with every gated solution removed: its markdown and its code cells; exercises stay."""
    cells, in_solution, closing_fence = [], False, False
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            if not in_solution:
                cells.append(cell)
            continue
        kept = []
        for line in cell.source.splitlines():
            if closing_fence:  # the fence line that closes `{solution-end}`
                closing_fence = False
            elif line.startswith(f"{SOLUTION_FENCE}{{solution-start}}"):
                in_solution = True
            elif in_solution and line.startswith(f"{SOLUTION_FENCE}{{solution-end}}"):
                in_solution, closing_fence = False, True
            elif not in_solution:
                kept.append(line)
        if "".join(kept).strip():
            cell.source = "\n".join(kept).strip("\n")
            cells.append(cell)
    if in_solution:
        raise ValueError("notebook has a solution-start block without its solution-end")
    notebook.cells = cells
    return notebook


def write_notebooks(book: Path, out: Path, *, solutions: bool = True) -> list[Path]:
    """Write every chapter of `book` to `out/<book folder>/<chapter>.ipynb`, the path the Colab button opens;
    with `solutions=False`, without the exercises' solutions (for an assignment)."""
    folder = out / book.resolve().name
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for source in chapter_sources(book):
        notebook = chapter_notebook(source)
        target = folder / f"{source.stem}.ipynb"
        nbformat.write(notebook if solutions else without_solutions(notebook), target)
        written.append(target)
    return written


def colab_url(pagename: str) -> str:
    """The Colab address of a chapter page (e.g. "book/parities"): its notebook on the notebooks branch."""
    return f"{COLAB}/github/{GITHUB_REPOSITORY}/blob/{NOTEBOOKS_BRANCH}/{pagename}.ipynb"
