"""What the built book knows and its sources do not: glued values, labels' pages, numbers and titles, citations.

Everything is read from the output of `jupyter-book build` (`_build/html` and `_build/jupyter_execute`), so a
notebook quotes exactly what the published page shows; nothing here numbers or formats anything itself.
"""

from __future__ import annotations

import json
import posixpath
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urljoin

from bs4 import BeautifulSoup, NavigableString, Tag
from myst_nb.core.variables import format_plain_text
from pybtex.database import parse_file
from pybtex.richtext import Text
from sphinx.util.inventory import InventoryFile

from gradfail.plain_markdown import Citation, Target, escape

NUMBERED_CAPTIONS = {"figure": "figcaption", "table": "caption", "div": "p"}


def glue_values(executed: Path) -> dict[str, dict[str, str]]:
    """The values an executed chapter glued (name → MIME bundle): myst-nb moves them out of the notebook it writes
    to `_build/jupyter_execute/…/<chapter>.ipynb` into `<chapter>.glue.json` beside it (none when nothing is glued)."""
    table = executed.with_suffix(".glue.json")
    if not table.is_file():
        return {}
    return {name: output["data"] for name, output in json.loads(table.read_text()).items()}


def pasted_glue(executed: Path) -> list[str]:
    """The values an executed chapter's prose pastes with `{glue:text}`, formatted as its page shows them."""
    notebook = json.loads(executed.read_text())
    prose = "\n".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    values = glue_values(executed)
    roles = re.findall(r"\{glue:text\}`([^`:]+)(?::([^`]*))?`", prose)
    return [format_plain_text(values[key]["text/plain"], spec or "s") for key, spec in roles if key in values]


def inline_markdown(element: Tag) -> str:
    """The inline HTML Sphinx wrote (emphasis, code, MathJax spans) back as Markdown."""
    parts = []
    for child in element.children:
        if isinstance(child, NavigableString):
            parts.append(escape(str(child)))
        elif "math" in child.get("class", []):
            formula = child.get_text().strip().removeprefix("\\(").removesuffix("\\)")
            parts.append(f"${formula}$")
        elif child.name in ("em", "i"):
            parts.append(f"*{inline_markdown(child)}*")
        elif child.name in ("strong", "b"):
            parts.append(f"**{inline_markdown(child)}**")
        elif child.name == "code":
            parts.append(f"`{child.get_text()}`")
        else:
            parts.append(inline_markdown(child))
    return "".join(parts)


def _caption_number(element: Tag) -> str | None:
    """The number a figure, table or numbered box shows in its own caption or title ("Fig. 4.2", "Theorem 2")."""
    caption = element.find(NUMBERED_CAPTIONS.get(element.name, ""), recursive=False)
    if caption is None or (element.name == "div" and "admonition-title" not in caption.get("class", [])):
        return None
    number = caption.find("span", class_="caption-number")
    return number.get_text().strip() if number else None


def _normal(text: str) -> str:
    """Lower-case letters and digits only, accents dropped: how a title is compared across BibTeX and HTML."""
    decomposed = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in decomposed if not unicodedata.combining(c)).lower())


class BuildReferences:
    """Labels, numbers and citations of a built book (`html`: the folder `jupyter-book build` wrote), with
    addresses on the published book at `book_url`."""

    def __init__(self, html: Path, bibliographies: Iterable[Path], book_url: str) -> None:
        inventory = html / "objects.inv"
        if not inventory.is_file():
            raise ValueError(f"html must be a built book; {inventory} is missing: run `make book` first")
        with inventory.open("rb") as stream:
            data = InventoryFile.load(stream, "", posixpath.join)
        self.book_url = book_url
        pages = {uri for _, _, uri, _ in data.get("std:doc", {}).values()}
        self.targets: dict[str, Target] = {}
        self._numbers: dict[str, str] = {}  # address (page#id) of a numbered element → the number it shows
        self._links: dict[str, tuple[str, str]] = {}  # citation address → (author-year Markdown, entry text)
        self._entries: dict[str, int] = {}  # bibliography entry address → its place in the bibliography
        ambiguous: set[str] = set()
        for page in sorted(pages):
            ambiguous |= self._read_page(page, BeautifulSoup((html / page).read_text(), "html.parser"))
        for label, (_, _, uri, title) in data.get("std:label", {}).items():
            address = urljoin(book_url, uri)
            self.targets[label] = Target(address, title, self._numbers.get(address))
        for label in ambiguous - set(data.get("std:label", {})):
            self.targets.pop(label, None)
        self.citations = self._cite_keys(bibliographies)

    def _read_page(self, page: str, soup: BeautifulSoup) -> set[str]:
        """Record the page's numbered elements (by address, and by id for boxes that are no Sphinx label) and its
        citation links; return the ids seen on two pages."""
        ambiguous = set()
        for element in soup.find_all(id=True):
            number = _caption_number(element)
            if number is None:
                continue
            label = element["id"]
            if label in self.targets:
                ambiguous.add(label)
            address = urljoin(self.book_url, f"{page}#{label}")
            self._numbers[address] = number
            self.targets[label] = Target(address, number, number)
        for entry in soup.select("div.citation[id]"):
            self._entries[urljoin(self.book_url, f"{page}#{entry['id']}")] = len(self._entries)
        for link in soup.select("span.bibtex-citation a[href]"):
            address = urljoin(urljoin(self.book_url, page), link["href"])
            self._links[address] = (inline_markdown(link), link.get("title", ""))
        return ambiguous

    def _cite_keys(self, bibliographies: Iterable[Path]) -> dict[str, Citation]:
        """Each BibTeX key's citation as the HTML shows it.

        Neither the HTML nor objects.inv records the keys, and the entries' anchors (`bibliography.html#id7`) are
        docutils' running ids, which cannot be derived from the .bib. What does join them is the entry itself: every
        citation link carries the formatted entry as its `title`, which contains the entry's title and its first
        author's surname; a key resolves when exactly one address matches both (compared in letters and digits
        only, since the bibliography style changes case and decodes LaTeX accents).
        """
        citations = {}
        for path in bibliographies:
            for key, entry in parse_file(str(path)).entries.items():
                title = _normal(Text.from_latex(entry.fields.get("title", "")).render_as("text"))
                people = entry.persons.get("author") or entry.persons.get("editor") or []
                surname = _normal(Text.from_latex(" ".join(people[0].last_names)).render_as("text")) if people else ""
                found = {
                    address: text
                    for address, (text, entry_text) in self._links.items()
                    if title and title in _normal(entry_text) and surname in _normal(entry_text)
                }
                if len(found) == 1:
                    ((address, text),) = found.items()
                    citations[key] = Citation(text, address, self._entries.get(address, 0))
        return citations
