"""Check the built HTML book as a reader would get it: every chapter page exists and shows its figures,
theorem boxes, exercises (with folded solutions), citations and a Colab button that opens the chapter's
published notebook, and no directive leaked through as text; figures and figure references read chapter.number
("Fig. 3.2"), the paper's Figures 1-7 are each named at the start of a caption, and its Theorems 1-3 and Lemmas 1-3
in the title of a theorem box.

Run after `jupyter-book build .`: python .ci/check_book.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from gradfail.notebooks import colab_url
from gradfail.toc import toc_pages

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
PAPER_FIGURES = range(1, 8)
PAPER_BOXES = [f"{kind} {n}" for kind in ("Theorem", "Lemma") for n in (1, 2, 3)]
CHAPTER_NUMBER = re.compile(r"\w+\.? \d+\.\d+")  # "Fig. 3.2", "Theorem 2.1", "Exercise 4.3"


def chapters() -> list[str]:
    return toc_pages(ROOT / "_toc.yml")


def problems_of(chapter: str) -> list[str]:
    source = (ROOT / f"{chapter}.md").read_text()
    page = HTML / f"{chapter}.html"
    if not page.exists():
        return [f"{page} was not built"]
    html = page.read_text()
    problems = []
    for name in re.findall(r"^\s+name: (fig-[\w-]+)$", source, flags=re.M):
        figure = re.search(rf'<figure[^>]*id="{name}".*?</figure>', html, flags=re.S)
        if not figure or not re.search(r'<img[^>]+src="[^"]*_images/[^"]+\.png"', figure.group(0)):
            problems.append(f"figure {name} has no image")
    for label in re.findall(r"```\{prf:\w+\}.*\n:label: ([\w-]+)", source):
        if not re.search(rf'<div class="proof [^"]*"[^>]*id="{label}"', html):
            problems.append(f"theorem box {label} is missing")
    exercises = re.findall(r"```\{exercise\}\n:label: ([\w-]+)", source)
    for label in exercises:
        if f'id="{label}"' not in html:
            problems.append(f"exercise {label} is missing")
    if len(re.findall(r'<div class="solution dropdown', html)) != len(exercises):
        problems.append("not every exercise has a folded solution")
    if "{cite}" in source and 'class="bibtex-citation"' not in html:
        problems.append("citations did not resolve")
    if "kernelspec" in source and colab_url(chapter) not in html:
        problems.append(f"the Colab button does not open {colab_url(chapter)}")
    numbers = re.findall(r'<span class="caption-number">([^<]*)</span>', html)
    numbers += re.findall(r'<span class="std std-numref">([^<]*)</span>', html)
    problems += [f"{n.strip()!r} is not numbered chapter.number" for n in numbers if not CHAPTER_NUMBER.match(n)]
    for leaked in ("```{", ":::{", "{glue:", "{cite}", "{prf:ref}", "Traceback (most recent call last)"):
        if leaked in html:
            problems.append(f"the page shows {leaked!r} as text")
    return problems


def all_pages() -> str:
    return " ".join(
        (HTML / f"{chapter}.html").read_text() for chapter in chapters() if (HTML / f"{chapter}.html").exists()
    )


def unnamed_paper_figures() -> list[int]:
    """The paper's figures that no caption of the book starts by naming ("The paper's Figure 3: …")."""
    captions = all_pages()
    return [
        n
        for n in PAPER_FIGURES
        if not re.search(rf'caption-number">[^<]*</span><span class="caption-text">The paper.s Figure {n}\b', captions)
    ]


def unnamed_paper_boxes() -> list[str]:
    """The paper's theorems and lemmas that no theorem box names in its title ("Theorem 9.3 (The paper's Theorem 3")."""
    html = all_pages()
    return [
        box
        for box in PAPER_BOXES
        if not re.search(rf'admonition-title"><span class="caption-number">[^<]*</span>\s*\(The paper.s {box}\b', html)
    ]


def main() -> int:
    problems = {chapter: problems_of(chapter) for chapter in chapters()}
    problems["captions"] = [f"no caption starts with the paper's Figure {n}" for n in unnamed_paper_figures()]
    problems["theorem boxes"] = [f"no theorem box is titled the paper's {box}" for box in unnamed_paper_boxes()]
    for chapter, found in problems.items():
        print(f"{chapter}: {'ok' if not found else '; '.join(found)}")
    return 1 if any(problems.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
