"""The chapters as stand-alone Jupyter notebooks: readable ones for readers and Colab, bare ones for nbval.

`write_readable_notebooks` (what `python -m gradfail notebooks` runs after `make book`) writes each chapter from
the executed build: outputs and figures kept, Markdown made plain (gradfail.plain_markdown) with the glued values,
numbers, titles and citations the HTML shows (gradfail.build_references), and an install cell first so the file
also runs top to bottom on Colab; it can leave out the exercises' solutions (sphinx-exercise's gated
`solution-start` … `solution-end` blocks), for an assignment. `write_notebooks` converts the `book/*.md` sources
into output-free notebooks with the same install cell: the nbval mirror (conftest.py) runs those, which needs no
build."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import jupytext
import nbformat
import yaml

from gradfail.build_references import BuildReferences, glue_values
from gradfail.plain_markdown import Lookup, to_markdown

GITHUB_REPOSITORY = "gradfail/gradfail"
BOOK_URL = "https://{}.github.io/{}/".format(*GITHUB_REPOSITORY.split("/"))  # the published book (GitHub Pages)
NOTEBOOKS_BRANCH = "notebooks"
COLAB = "https://colab.research.google.com"
INSTALL_TAG = "install-gradfail"
SOLUTION_FENCE = "````"  # the gated solution directives are four-backtick fences (see any chapter's exercises)
INSTALL_REQUIREMENT = f"gradfail[notebook] @ git+https://github.com/{GITHUB_REPOSITORY}@main"
PUBLISHED_FOLDER = "_notebooks"  # inside the HTML output: each page's ".ipynb" download (book/_ext)
HIDDEN_SOURCE_TAGS = {"hide-input", "remove-input", "remove-cell"}
REMOVED_OUTPUT_TAGS = {"remove-output", "remove-cell"}

INSTALL_SOURCE = f'''\
# Installs the book's helpers where they are missing (on Colab, or in a Jupyter outside the repository).
import importlib.util
import subprocess
import sys

if any(importlib.util.find_spec(module) is None for module in ("gradfail", "myst_nb")):
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "{INSTALL_REQUIREMENT}"], check=True)'''


def is_chapter(source: Path) -> bool:
    """Whether a page source is a chapter: a MyST notebook whose front matter names a kernel."""
    return source.suffix == ".md" and source.is_file() and "kernelspec" in jupytext.read(source).metadata


def chapter_sources(book: Path) -> list[Path]:
    """The chapters in `book`: its .md files whose front matter names a kernel (the bibliography page has none)."""
    if not book.is_dir():
        raise ValueError(f"book must be a folder of chapters; {book} is not a folder")
    return sorted(path for path in book.glob("*.md") if is_chapter(path))


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


def write_notebooks(book: Path, out: Path) -> list[Path]:
    """Write every chapter of `book`, output-free, to `out/<book folder>/<chapter>.ipynb` (nbval's mirror)."""
    folder = out / book.resolve().name
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for source in chapter_sources(book):
        notebook = chapter_notebook(source)
        target = folder / f"{source.stem}.ipynb"
        nbformat.write(notebook, target)
        written.append(target)
    return written


def book_settings(root: Path) -> tuple[dict[str, str], list[Path]]:
    """The book's MathJax macros (name → replacement) and BibTeX files, from `root/_config.yml`."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    tex = config.get("sphinx", {}).get("config", {}).get("mathjax3_config", {}).get("tex", {})
    macros = tex.get("macros", {})
    unsupported = [name for name, value in macros.items() if not isinstance(value, str)]
    if unsupported:
        raise ValueError(f"_config.yml: macros with arguments cannot be expanded for Jupyter: {unsupported}")
    return macros, [root / path for path in config.get("bibtex_bibfiles", [])]


def _readable_code_cell(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A code cell as the page shows it: removed outputs dropped, hidden parts folded (JupyterLab reads the folds)."""
    tags = set(cell.metadata.get("tags", []))
    if tags & REMOVED_OUTPUT_TAGS:
        cell.outputs = []
    folded = {"source_hidden": bool(tags & HIDDEN_SOURCE_TAGS), "outputs_hidden": "hide-output" in tags}
    if any(folded.values()):
        cell.metadata["jupyter"] = {key: True for key, value in folded.items() if value}
    return cell


def _caption_cell(cell: nbformat.NotebookNode, lookup: Lookup, where: str) -> nbformat.NotebookNode | None:
    """The Markdown caption "**Fig. N.M.** …" of a code cell that myst-nb shows as a figure, or None."""
    figure = cell.metadata.get("mystnb", {}).get("figure", {})
    if "caption" not in figure:
        return None
    if "name" not in figure:
        raise ValueError(f"{where}: a figure caption without a name; name it so its number can be read from the build")
    target = lookup.targets.get(figure["name"])
    if target is None or target.number is None:
        raise ValueError(f"{where}: the build shows no numbered figure {figure['name']!r}")
    caption = to_markdown(" ".join(figure["caption"].split()), lookup, where)
    return nbformat.v4.new_markdown_cell(f"**{target.number}.** {caption}")


def readable_notebook(
    executed: nbformat.NotebookNode, chapter: str, lookup: Lookup, *, solutions: bool = True
) -> nbformat.NotebookNode:
    """One executed chapter as a notebook that reads like its page: the install cell, then every cell with its
    outputs and plain Markdown (a figure's caption in a cell after it); with `solutions=False`, no solutions."""
    notebook = copy.deepcopy(executed)
    if not solutions:
        notebook = without_solutions(notebook)
    cells = [install_cell()]
    for index, cell in enumerate(notebook.cells):
        where = f"{chapter} (cell {index})"
        if cell.cell_type == "markdown":
            cell.source = to_markdown(cell.source, lookup, where)
            if cell.source.strip():
                cells.append(cell)
        elif cell.cell_type == "code":
            cells.append(_readable_code_cell(cell))
            caption = _caption_cell(cell, lookup, where)
            if caption is not None:
                cells.append(caption)
        else:
            cells.append(cell)
    notebook.cells = cells
    for key in ("jupytext", "source_map"):
        notebook.metadata.pop(key, None)
    return notebook


def write_readable_notebooks(
    book: Path, build: Path, out: Path, *, solutions: bool = True, book_url: str = BOOK_URL
) -> list[Path]:
    """Write every chapter of `book`, from the executed build in `build` (`_build`), to `out/<book folder>/`;
    with solutions, also into the HTML output (`build/html/_notebooks/`), where each page's download button points."""
    executed_folder = build / "jupyter_execute" / book.resolve().name
    if not executed_folder.is_dir() or not (build / "html" / "objects.inv").is_file():
        raise ValueError(f"build must hold the executed book; {build} does not: run `make book` first")
    macros, bibliographies = book_settings(book.resolve().parent)
    references = BuildReferences(build / "html", bibliographies, book_url)
    sources = chapter_sources(book)
    paths = {source.stem: executed_folder / f"{source.stem}.ipynb" for source in sources}
    missing = [path.name for path in paths.values() if not path.is_file()]
    if missing:
        raise ValueError(f"the build has no executed {', '.join(missing)}: run `make book` first")
    executed = {name: nbformat.read(path, as_version=4) for name, path in paths.items()}
    glue = {name: glue_values(path) for name, path in paths.items()}
    folder = out / book.resolve().name
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, notebook in executed.items():
        lookup = Lookup(glue[name], references.citations, references.targets, macros, glue)
        target = folder / f"{name}.ipynb"
        nbformat.write(readable_notebook(notebook, f"{book.name}/{name}.md", lookup, solutions=solutions), target)
        written.append(target)
    if solutions:
        published = build / "html" / PUBLISHED_FOLDER / book.resolve().name
        published.mkdir(parents=True, exist_ok=True)
        for path in written:
            shutil.copyfile(path, published / path.name)
    return written


def download_path(pagename: str) -> str:
    """Where a chapter's readable notebook lies in the HTML output (e.g. "_notebooks/book/parities.ipynb")."""
    return f"{PUBLISHED_FOLDER}/{pagename}.ipynb"


def colab_url(pagename: str) -> str:
    """The Colab address of a chapter page (e.g. "book/parities"): its notebook on the notebooks branch."""
    return f"{COLAB}/github/{GITHUB_REPOSITORY}/blob/{NOTEBOOKS_BRANCH}/{pagename}.ipynb"
