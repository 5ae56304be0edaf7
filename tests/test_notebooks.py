"""The chapters as stand-alone notebooks (gradfail.notebooks): what `python -m gradfail notebooks` writes for Colab."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import yaml

from gradfail.cli import main
from gradfail.notebooks import (
    COLAB,
    GITHUB_REPOSITORY,
    INSTALL_TAG,
    NOTEBOOKS_BRANCH,
    chapter_sources,
    colab_url,
    without_solutions,
    write_notebooks,
)

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("notebooks")
    return out, write_notebooks(BOOK, out)


def test_every_chapter_of_the_toc_converts(written: tuple[Path, list[Path]]) -> None:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]] + [entry["file"] for entry in toc["chapters"]]
    notebook_pages = {f"book/{source.stem}" for source in chapter_sources(BOOK)}
    plain_pages = {page for page in pages if "kernelspec" not in (ROOT / f"{page}.md").read_text()}
    assert notebook_pages == set(pages) - plain_pages
    assert plain_pages == {"book/instructors", "book/bibliography"}
    out, paths = written
    assert sorted(path.relative_to(out).as_posix() for path in paths) == sorted(f"{p}.ipynb" for p in notebook_pages)
    for path in paths:
        nbformat.validate(nbformat.read(path, as_version=4))


def test_install_cell_is_first_and_outputs_are_stripped(written: tuple[Path, list[Path]]) -> None:
    for path in written[1]:
        cells = nbformat.read(path, as_version=4).cells
        assert cells[0].cell_type == "code" and cells[0].metadata["tags"] == [INSTALL_TAG], path.name
        assert "pip" in cells[0].source and GITHUB_REPOSITORY in cells[0].source
        assert all(not cell.get("outputs") for cell in cells if cell.cell_type == "code"), path.name
        assert sum(INSTALL_TAG in cell.metadata.get("tags", []) for cell in cells) == 1


def test_colab_button_opens_a_written_notebook(written: tuple[Path, list[Path]]) -> None:
    out, paths = written
    prefix = f"{COLAB}/github/{GITHUB_REPOSITORY}/blob/{NOTEBOOKS_BRANCH}/"
    for path in paths:
        page = path.relative_to(out).with_suffix("").as_posix()
        url = colab_url(page)
        assert url.startswith(prefix)
        assert (out / url.removeprefix(prefix)).is_file(), url


def test_addresses_match_the_book_configuration() -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["repository"]["url"] == f"https://github.com/{GITHUB_REPOSITORY}"
    assert config["launch_buttons"]["colab_url"] == COLAB


def test_command_line_writes_the_notebooks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["notebooks", "--book", str(BOOK), "--out", str(tmp_path)]) == 0
    assert len(list((tmp_path / "book").glob("*.ipynb"))) == len(chapter_sources(BOOK))
    assert "wrote" in capsys.readouterr().out


def test_a_missing_book_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="book"):
        chapter_sources(tmp_path / "nowhere")


def test_assignment_notebooks_keep_exercises_and_drop_every_solution(tmp_path: Path) -> None:
    full = {p.name: nbformat.read(p, as_version=4) for p in write_notebooks(BOOK, tmp_path / "full")}
    bare = {p.name: nbformat.read(p, as_version=4) for p in write_notebooks(BOOK, tmp_path / "bare", solutions=False)}
    for name, notebook in bare.items():
        text = "\n".join(cell.source for cell in notebook.cells)
        full_text = "\n".join(cell.source for cell in full[name].cells)
        assert "````{solution-start}" not in text and "````{solution-end}" not in text, name
        assert text.count("{exercise}") == full_text.count("{exercise}"), name
        bare_code = [c.source for c in notebook.cells if c.cell_type == "code"]
        full_code = [c.source for c in full[name].cells if c.cell_type == "code"]
        assert all(code in full_code for code in bare_code), name
        if "````{solution-start}" in full_text:
            assert len(bare_code) < len(full_code), f"{name}: no solution code cell was removed"


def test_an_unclosed_solution_is_a_clear_error() -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("````{solution-start} ex\n````")])
    with pytest.raises(ValueError, match="solution-end"):
        without_solutions(notebook)
