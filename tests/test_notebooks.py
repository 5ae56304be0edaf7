"""The chapters as stand-alone notebooks: the readable ones `python -m gradfail notebooks` writes from the build
(gradfail.notebooks, gradfail.plain_markdown, gradfail.build_references) and the bare ones nbval runs."""

from __future__ import annotations

import importlib.util
import re
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml
from built_book import require_current_build

from gradfail.build_references import BuildReferences, pasted_glue
from gradfail.cli import ASSIGNMENTS_OUT, main
from gradfail.notebooks import (
    BOOK_URL,
    COLAB,
    GITHUB_REPOSITORY,
    INSTALL_TAG,
    NOTEBOOKS_BRANCH,
    PUBLISHED_FOLDER,
    book_settings,
    chapter_notebook,
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


def test_assignment_notebooks_keep_exercises_and_drop_every_solution() -> None:
    for source in chapter_sources(BOOK):
        full, bare = chapter_notebook(source), without_solutions(chapter_notebook(source))
        text = "\n".join(cell.source for cell in bare.cells)
        full_text = "\n".join(cell.source for cell in full.cells)
        assert "````{solution-start}" not in text and "````{solution-end}" not in text, source.name
        assert text.count("{exercise}") == full_text.count("{exercise}"), source.name
        bare_code = [c.source for c in bare.cells if c.cell_type == "code"]
        full_code = [c.source for c in full.cells if c.cell_type == "code"]
        assert all(code in full_code for code in bare_code), source.name
        if "````{solution-start}" in full_text:
            assert len(bare_code) < len(full_code), f"{source.name}: no solution code cell was removed"


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
    kept = jupytext.read(source) if solutions else without_solutions(jupytext.read(source))
    captions = [cell for cell in kept.cells if "figure" in cell.metadata.get("mystnb", {})]
    assert sum(text.startswith("**Fig. 1.1.** ") for text in markdown) == len(captions)
    nbformat.validate(notebook)


def test_the_book_macros_are_plain_replacements() -> None:
    macros, bibliographies = book_settings(ROOT)
    assert macros and all(isinstance(value, str) for value in macros.values())
    assert bibliographies and all(path.is_file() for path in bibliographies)


def write_inventory(html: Path, pages: list[str], labels: Mapping[str, str]) -> None:
    """A Sphinx objects.inv (version 2) of `pages` ("book/a") and `labels` (name → "book/a.html#anchor")."""
    lines = "".join(f"{page} std:doc -1 {page}.html Page {page}\n" for page in pages)
    lines += "".join(f"{name} std:label -1 {uri} Title of {name}\n" for name, uri in labels.items())
    header = "# Sphinx inventory version 2\n# Project: x\n# Version: \n# The remainder of this file is compressed"
    (html / "objects.inv").write_bytes(f"{header} using zlib.\n".encode() + zlib.compress(lines.encode()))


def test_a_label_takes_its_number_from_its_own_page(tmp_path: Path) -> None:
    figure = '<figure id="{}"><figcaption><span class="caption-number">{} </span>A caption</figcaption></figure>'
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "a.html").write_text(figure.format("fig-x", "Fig. 1.1") + figure.format("auto", "Fig. 1.2"))
    (tmp_path / "book" / "b.html").write_text(figure.format("fig-x", "Fig. 2.1") + figure.format("auto", "Fig. 2.2"))
    write_inventory(tmp_path, ["book/a", "book/b"], {"fig-x": "book/a.html#fig-x"})
    references = BuildReferences(tmp_path, [], BOOK_URL)
    assert references.targets["fig-x"] == Target(f"{BOOK_URL}book/a.html#fig-x", "Title of fig-x", "Fig. 1.1")
    assert "auto" not in references.targets  # an id on two pages that is no label cannot be resolved


# ---- from the real build ---------------------------------------------------------------------------------------------


def test_without_a_build_the_command_says_to_build_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["notebooks", "--book", str(BOOK), "--build", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "make book" in capsys.readouterr().err


def private_build(folder: Path) -> Path:
    """The shared build (when current) seen through links, with an HTML folder of its own for the notebooks."""
    build = require_current_build()
    (folder / "html").mkdir(parents=True)
    for entry in (build / "html").iterdir():
        if entry.name != PUBLISHED_FOLDER:
            (folder / "html" / entry.name).symlink_to(entry)
    (folder / "jupyter_execute").symlink_to(build / "jupyter_execute")
    return folder


@pytest.fixture(scope="module")
def readable(tmp_path_factory: pytest.TempPathFactory) -> dict[str, nbformat.NotebookNode]:
    build = private_build(tmp_path_factory.mktemp("build"))
    out = tmp_path_factory.mktemp("readable")
    paths = write_readable_notebooks(BOOK, build, out)
    return {path.relative_to(out).with_suffix("").as_posix(): nbformat.read(path, as_version=4) for path in paths}


def test_the_readable_notebooks_keep_outputs_and_substitute_glue(readable: dict[str, nbformat.NotebookNode]) -> None:
    for page, notebook in readable.items():
        executed = BUILD / "jupyter_execute" / f"{page}.ipynb"
        outputs = nbformat.read(executed, as_version=4).cells
        images = sum("image/png" in o.get("data", {}) for c in outputs for o in c.get("outputs", []))
        kept = sum("image/png" in o.get("data", {}) for c in notebook.cells for o in c.get("outputs", []))
        assert kept == images, f"{page}: {kept} of {images} figures kept"
        text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
        assert "{glue" not in text and "```{" not in text and "{cite}" not in text, page
        missing = [value for value in pasted_glue(executed) if escape(value) not in text]
        assert not missing, f"{page}: glued values not in the Markdown: {missing}"


def test_every_link_shows_the_text_the_html_shows(readable: dict[str, nbformat.NotebookNode]) -> None:
    from bs4 import BeautifulSoup

    from gradfail.build_references import inline_markdown

    for name, notebook in readable.items():
        html = BeautifulSoup((BUILD / "html" / f"{name}.html").read_text(), "html.parser")
        curly = str.maketrans("\u2018\u2019\u201c\u201d", "''\"\"")  # docutils' smart quotes
        page_links = {inline_markdown(a).strip().translate(curly) for a in html.select("a.reference.internal")}
        text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
        for shown, url in LINK.findall(text):
            if url.startswith(BOOK_URL) and "$" not in shown:
                assert shown.translate(curly) in page_links, f"{name}: the link text {shown!r} is not on the page"
        on_page = [[inline_markdown(a) for a in span.select("a")] for span in html.select("span.bibtex-citation")]
        citations = [[shown for shown, _ in LINK.findall(group)] for group in CITATION.findall(text)]
        assert citations == on_page, f"{name}: the citations differ from the page's, in text or order"


def test_colab_button_opens_a_readable_notebook(readable: dict[str, nbformat.NotebookNode]) -> None:
    # the workflow publishes what `make notebooks` writes (_build/notebooks) as the notebooks branch
    prefix = f"{COLAB}/github/{GITHUB_REPOSITORY}/blob/{NOTEBOOKS_BRANCH}/"
    assert sorted(readable) == sorted(f"book/{source.stem}" for source in chapter_sources(BOOK))
    assert all(colab_url(page) == f"{prefix}{page}.ipynb" for page in readable)


def test_the_command_publishes_into_the_html(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    build = private_build(tmp_path / "build")
    assert main(["notebooks", "--book", str(BOOK), "--build", str(build), "--out", str(tmp_path / "out")]) == 0
    assert "wrote" in capsys.readouterr().out
    for source in chapter_sources(BOOK):
        published = nbformat.read(build / "html" / download_path(f"book/{source.stem}"), as_version=4)
        assert published == nbformat.read(tmp_path / "out" / "book" / f"{source.stem}.ipynb", as_version=4)
    monkeypatch.chdir(tmp_path)  # an assignment goes to a folder of its own by default, leaving the notebooks be
    assert main(["notebooks", "--book", str(BOOK), "--build", str(build), "--no-solutions"]) == 0
    assignments = sorted((tmp_path / ASSIGNMENTS_OUT / "book").glob("*.ipynb"))
    assert len(assignments) == len(chapter_sources(BOOK))
    assert not any("**Solution to" in path.read_text() for path in assignments)
    assert any("**Solution to" in path.read_text() for path in (tmp_path / "out" / "book").glob("*.ipynb"))


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
