"""The chapters as stand-alone notebooks: the readable ones `python -m gradfail notebooks` writes from the build
(gradfail.notebooks, gradfail.plain_markdown, gradfail.build_references) and the bare ones nbval runs."""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml

from gradfail.cli import main
from gradfail.notebooks import (
    BOOK_URL,
    COLAB,
    GITHUB_REPOSITORY,
    INSTALL_TAG,
    NOTEBOOKS_BRANCH,
    PUBLISHED_FOLDER,
    book_settings,
    chapter_sources,
    colab_url,
    download_path,
    readable_notebook,
    without_solutions,
    write_notebooks,
    write_readable_notebooks,
)
from gradfail.plain_markdown import (
    Citation,
    Lookup,
    Target,
    escape,
    format_plain_text,
    leftovers,
    require_plain,
    to_markdown,
)
from gradfail.toc import toc_pages

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
BUILD = ROOT / "_build"
LINK = re.compile(r"\[([^\[\]]+)\]\((https?://[^)\s]+)\)")
ENTRY = r"\[[^\[\]]+\]\([^)\s]+/bibliography\.html#[^)\s]+\)"
CITATION = re.compile(rf"\[({ENTRY}(?:, {ENTRY})*)\]")  # "[[Author, 2017](…#id2), [Other, 1998](…#id5)]"


# ---- the bare notebooks (nbval's mirror, from the sources) -----------------------------------------------------------


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("notebooks")
    return out, write_notebooks(BOOK, out)


def test_every_chapter_of_the_toc_converts(written: tuple[Path, list[Path]]) -> None:
    pages = toc_pages(ROOT / "_toc.yml")
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
    owner, name = GITHUB_REPOSITORY.split("/")
    assert f"https://{owner}.github.io/{name}/" == BOOK_URL
    assert "notebook_download" in config["sphinx"]["local_extensions"]


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


# ---- MyST to plain Markdown, rule by rule ----------------------------------------------------------------------------

TABLE = Lookup(
    glue={"steps": {"text/plain": "'15,000'"}, "rate": {"text/plain": "0.012345"}, "law": {"text/markdown": "$d^2$"}},
    citations={
        "ssk17": Citation("Shalev-Shwartz *et al.*, 2017", f"{BOOK_URL}book/bibliography.html#id2", 2),
        "k98": Citation("Kearns, 1998", f"{BOOK_URL}book/bibliography.html#id5", 1),
    },
    targets={
        "sec-a": Target(f"{BOOK_URL}book/a.html#sec-a", "The experiment"),
        "fig-a": Target(f"{BOOK_URL}book/a.html#fig-a", "A caption", "Fig. 4.2"),
        "thm-a": Target(f"{BOOK_URL}book/a.html#thm-a", "Theorem 2", "Theorem 2"),
        "ex-a": Target(f"{BOOK_URL}book/a.html#ex-a", "Exercise", "Exercise 3"),
    },
    macros={"E": r"\mathbb{E}", "Var": r"\operatorname{Var}"},
    other_glue={"b": {"far": {"text/plain": "7"}}},
)


def convert(text: str) -> str:
    return to_markdown(text, TABLE, "a.md")


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("{glue:text}`steps`", "15,000"),
        ("{glue:text}`rate:.3f`", "0.012"),
        ("{glue:text}`rate:.1e`", "1.2e-02"),
        ("{glue:text}`b::far`", "7"),
        ("{glue:md}`law`", "$d^2$"),
        ("{glue}`law`", "$d^2$"),
        ("{glue}`rate`", "0.012345"),
        ("{cite}`ssk17`", f"[[Shalev-Shwartz *et al.*, 2017]({BOOK_URL}book/bibliography.html#id2)]"),
        ("{cite}`ssk17,k98`", f"[[Kearns, 1998]({BOOK_URL}book/bibliography.html#id5), [Shalev-Shwartz *et al.*"),
        ("{ref}`sec-a`", f"[The experiment]({BOOK_URL}book/a.html#sec-a)"),
        ("{ref}`the first part <sec-a>`", f"[the first part]({BOOK_URL}book/a.html#sec-a)"),
        ("{numref}`fig-a`", f"[Fig. 4.2]({BOOK_URL}book/a.html#fig-a)"),
        ("{numref}`Figure %s <fig-a>`", "[Figure 4.2]("),
        ("{prf:ref}`thm-a`", f"[Theorem 2]({BOOK_URL}book/a.html#thm-a)"),
        ("{math}`x^2`", "$x^2$"),
    ],
)
def test_each_role_becomes_what_the_page_shows(role: str, shown: str) -> None:
    assert shown in convert(f"see {role} here")


def test_glue_text_formats_as_myst_nb_does() -> None:
    variables = pytest.importorskip("myst_nb.core.variables")
    cases = [("'15,000'", "s"), ("0.0123", ".2f"), ("3", "d"), ("12345.6", ",.0f"), ("0.25", ".0%"), ("x", "")]
    for text, spec in cases:
        assert format_plain_text(text, spec) == variables.format_plain_text(text, spec)


def test_a_glued_text_is_shown_literally() -> None:
    table = Lookup({"name": {"text/plain": "'a_b*c'"}}, {}, {})
    assert to_markdown("{glue:text}`name`", table, "a.md") == r"a\_b\*c"


def test_label_lines_go_and_inline_code_and_code_fences_stay() -> None:
    text = "(sec-a)=\n## Title\n\n`{glue:text}` is a role\n\n```python\nx = '{cite}`k`'\n```"
    assert convert(text) == "## Title\n\n`{glue:text}` is a role\n\n```python\nx = '{cite}`k`'\n```"


def test_a_theorem_becomes_a_headed_blockquote_with_the_number_the_html_shows() -> None:
    text = "```{prf:theorem} Orthogonal targets\n:label: thm-a\n\nBy {cite}`ssk17`,\n$$\n\\Var \\le 1\n$$\n```"
    assert convert(text) == (
        "> **Theorem 2 (Orthogonal targets).**\n>\n"
        f"> By [[Shalev-Shwartz *et al.*, 2017]({BOOK_URL}book/bibliography.html#id2)],\n"
        "> $$\\operatorname{Var} \\le 1$$"
    )


def test_boxes_proofs_notes_and_admonitions() -> None:
    assert convert("```{prf:proof}\nEasy.\n```") == "> **Proof.**\n>\n> Easy."
    assert convert("```{exercise}\n:label: ex-a\n\nDo it.\n```") == "> **Exercise 3.**\n>\n> Do it."
    assert convert("```{note}\nMind $\\E x$.\n```") == "> **Note**\n>\n> Mind $\\mathbb{E} x$."
    warning = convert("```{admonition} Finding: it fails\n:class: warning\nText.\n```")
    assert warning == "> **Finding: it fails**\n>\n> Text."
    folded = convert("````{admonition} Side steps\n:class: dropdown\nText $a\nb$.\n````")
    assert folded == "<details>\n<summary>Side steps</summary>\n\nText $a b$.\n\n</details>"
    assert convert("```{math}\na = b\n```") == "$$\na = b\n$$"


def test_a_box_is_a_block_of_its_own() -> None:
    assert convert("Before.\n```{note}\nInside.\n```\nAfter.") == "Before.\n\n> **Note**\n>\n> Inside.\n\nAfter."


def test_solutions_get_a_heading_and_their_end_goes() -> None:
    assert convert("````{solution-start} ex-a\n:class: dropdown\n````\nThe answer.") == (
        "**Solution to Exercise 3**\n\nThe answer."
    )
    assert convert("Last line.\n````{solution-end}\n````") == "Last line."


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("{glue:text}`missing`", "nothing is glued under 'missing'"),
        ("{cite}`nobody`", "citation 'nobody'"),
        ("{ref}`nowhere`", "label 'nowhere'"),
        ("{numref}`sec-a`", "no number"),
        ("{eq}`eq-a`", "role {eq}"),
        ("```{sidebar} x\nbody\n```", "directive {sidebar}"),
        ("```{prf:lemma} Unlabelled\nbody\n```", "without a :label:"),
    ],
)
def test_what_cannot_be_converted_is_a_clear_error(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=re.escape(complaint)):
        convert(text)


def test_leftover_myst_makes_the_converter_raise() -> None:
    counterfeit = Lookup({"raw": {"text/markdown": "as {cite}`k98` says"}}, {}, {})
    with pytest.raises(ValueError, match=r"a\.md: MyST left .*\{cite\}"):
        to_markdown("{glue:md}`raw`", counterfeit, "a.md")
    with pytest.raises(ValueError, match=r"ch\.md"):
        require_plain("text\n:::{note}\nx\n:::", "ch.md")
    assert leftovers("(lbl)=\n````{exercise}\n") == ["(lbl)=", "````{exercise}"]
    assert leftovers("`{cite}` in code\n```md\n{ref}`x`\n```") == []


class Anything(Mapping):
    """A stand-in table that answers every key (the real ones come from the build)."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __getitem__(self, key: str) -> object:
        return self.value

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


STAND_IN = Lookup(
    glue=Anything({"text/plain": "2", "text/markdown": "2"}),
    citations=Anything(Citation("Author, 2000", f"{BOOK_URL}book/bibliography.html#id1")),
    targets=Anything(Target(f"{BOOK_URL}book/page.html#label", "A title", "Fig. 1.1")),
    macros=book_settings(ROOT)[0],
    other_glue=Anything(Anything({"text/plain": "2"})),
)


@pytest.mark.parametrize("source", chapter_sources(BOOK), ids=lambda path: path.stem)
@pytest.mark.parametrize("solutions", [True, False], ids=["solutions", "assignment"])
def test_every_chapter_converts_to_plain_markdown(source: Path, solutions: bool) -> None:
    notebook = readable_notebook(jupytext.read(source), source.name, STAND_IN, solutions=solutions)
    markdown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    assert all(leftovers(text) == [] for text in markdown)
    assert notebook.cells[0].metadata["tags"] == [INSTALL_TAG]
    captions = [cell for cell in jupytext.read(source).cells if "figure" in cell.metadata.get("mystnb", {})]
    assert sum(text.startswith("**Fig. 1.1.** ") for text in markdown) >= (len(captions) if solutions else 0)
    nbformat.validate(notebook)


def test_the_book_macros_are_plain_replacements() -> None:
    macros, bibliographies = book_settings(ROOT)
    assert macros and all(isinstance(value, str) for value in macros.values())
    assert bibliographies and all(path.is_file() for path in bibliographies)


# ---- from the real build ---------------------------------------------------------------------------------------------


def test_without_a_build_the_command_says_to_build_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["notebooks", "--book", str(BOOK), "--build", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "make book" in capsys.readouterr().err


def built() -> bool:
    """Whether `_build` holds an executed notebook and an HTML page for every chapter."""
    return (BUILD / "html" / "objects.inv").is_file() and all(
        (BUILD / "jupyter_execute" / "book" / f"{source.stem}.ipynb").is_file()
        and (BUILD / "html" / "book" / f"{source.stem}.html").is_file()
        for source in chapter_sources(BOOK)
    )


def private_build(folder: Path) -> Path:
    """The shared build seen through links, but with an HTML folder of its own for the notebooks to go into."""
    (folder / "html").mkdir(parents=True)
    for entry in (BUILD / "html").iterdir():
        if entry.name != PUBLISHED_FOLDER:
            (folder / "html" / entry.name).symlink_to(entry)
    (folder / "jupyter_execute").symlink_to(BUILD / "jupyter_execute")
    return folder


@pytest.fixture(scope="module")
def readable(tmp_path_factory: pytest.TempPathFactory) -> dict[str, nbformat.NotebookNode]:
    if not built():
        pytest.skip("the book is not built for the current chapters (make book)")
    build = private_build(tmp_path_factory.mktemp("build"))
    paths = write_readable_notebooks(BOOK, build, tmp_path_factory.mktemp("readable"))
    return {path.stem: nbformat.read(path, as_version=4) for path in paths}


def test_the_readable_notebooks_keep_outputs_and_substitute_glue(readable: dict[str, nbformat.NotebookNode]) -> None:
    for name, notebook in readable.items():
        executed = nbformat.read(BUILD / "jupyter_execute" / "book" / f"{name}.ipynb", as_version=4)
        images = sum("image/png" in o.get("data", {}) for c in executed.cells for o in c.get("outputs", []))
        kept = sum("image/png" in o.get("data", {}) for c in notebook.cells for o in c.get("outputs", []))
        assert kept > 0 or images == 0, name
        text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
        assert "{glue" not in text and "```{" not in text and "{cite}" not in text, name
        glued = re.findall(r"\{glue:text\}`([^`:]+)(?::([^`]*))?`", "\n".join(c.source for c in executed.cells))
        table = BUILD / "jupyter_execute" / "book" / f"{name}.glue.json"
        if glued:
            values = json.loads(table.read_text())
            shown = [escape(format_plain_text(values[key]["data"]["text/plain"], spec or "s")) for key, spec in glued]
            assert all(value in text for value in shown), name


def test_every_link_shows_the_text_the_html_shows(readable: dict[str, nbformat.NotebookNode]) -> None:
    from bs4 import BeautifulSoup

    from gradfail.build_references import inline_markdown

    for name, notebook in readable.items():
        html = BeautifulSoup((BUILD / "html" / "book" / f"{name}.html").read_text(), "html.parser")
        curly = str.maketrans("\u2018\u2019\u201c\u201d", "''\"\"")  # docutils' smart quotes
        page_links = {inline_markdown(a).strip().translate(curly) for a in html.select("a.reference.internal")}
        text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
        for shown, url in LINK.findall(text):
            if url.startswith(BOOK_URL) and "$" not in shown:
                assert shown.translate(curly) in page_links, f"{name}: the link text {shown!r} is not on the page"
        on_page = [[inline_markdown(a) for a in span.select("a")] for span in html.select("span.bibtex-citation")]
        citations = [[shown for shown, _ in LINK.findall(group)] for group in CITATION.findall(text)]
        assert citations == on_page, f"{name}: the citations differ from the page's, in text or order"


def test_the_command_publishes_into_the_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not built():
        pytest.skip("the book is not built for the current chapters (make book)")
    build = private_build(tmp_path / "build")
    assert main(["notebooks", "--book", str(BOOK), "--build", str(build), "--out", str(tmp_path / "out")]) == 0
    assert "wrote" in capsys.readouterr().out
    for source in chapter_sources(BOOK):
        published = nbformat.read(build / "html" / download_path(f"book/{source.stem}"), as_version=4)
        assert published == nbformat.read(tmp_path / "out" / "book" / f"{source.stem}.ipynb", as_version=4)
    bare = ["notebooks", "--book", str(BOOK), "--build", str(build), "--out", str(tmp_path / "bare"), "--no-solutions"]
    assert main(bare) == 0
    assert not any("**Solution to" in path.read_text() for path in (tmp_path / "bare" / "book").glob("*.ipynb"))


# ---- the page's download button and the publishing order -------------------------------------------------------------


def test_each_chapter_page_offers_its_notebook_for_download(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("notebook_download", BOOK / "_ext" / "notebook_download.py")
    extension = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(extension)

    class App:
        srcdir = str(ROOT)

    def context() -> dict:
        group = {"label": "download-buttons", "buttons": [{"text": ".md"}]}
        return {"header_buttons": [group], "pathto": lambda path, resource: f"../{path}"}

    chapter, page = context(), context()
    extension.add_notebook_download(App(), f"book/{chapter_sources(BOOK)[0].stem}", "page.html", chapter, None)
    extension.add_notebook_download(App(), "book/bibliography", "page.html", page, None)
    entry = chapter["header_buttons"][0]["buttons"][0]
    assert entry["text"] == ".ipynb"
    assert entry["url"] == f"../{PUBLISHED_FOLDER}/book/{chapter_sources(BOOK)[0].stem}.ipynb"
    assert [button["text"] for button in page["header_buttons"][0]["buttons"]] == [".md"]


def test_notebooks_are_written_before_the_browser_test() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    runs = [step.get("run", "").strip() for step in workflow["jobs"]["build"]["steps"]]
    assert runs.index("make book") < runs.index("make notebooks") < runs.index("make browser-test")
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.index("make book") < ci.index("make notebooks") < ci.index("make browser-test")
