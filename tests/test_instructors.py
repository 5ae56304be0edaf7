"""The instructors' page stays in step with the chapters: every chapter and every exercise is listed."""

from __future__ import annotations

import re
from pathlib import Path

from gradfail.toc import toc_pages

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / "book" / "instructors.md").read_text()


def chapters() -> list[str]:
    pages = toc_pages(ROOT / "_toc.yml")
    return [page for page in pages if page not in ("book/instructors", "book/bibliography")]


def test_every_chapter_has_a_section() -> None:
    for page in chapters():
        label = re.search(r"^\((\w[\w-]*)\)=", (ROOT / f"{page}.md").read_text(), flags=re.M).group(1)
        assert re.search(rf"^### \{{ref\}}`[^`]*<{label}>`", PAGE, flags=re.M), f"no section for {page}"


def test_every_exercise_is_listed() -> None:
    for page in chapters():
        for label in re.findall(r"```\{exercise\}\n:label: ([\w-]+)", (ROOT / f"{page}.md").read_text()):
            assert f"<{label}>`" in PAGE, f"{page}: exercise {label} is not on the instructors' page"


def test_the_page_is_in_the_table_of_contents_and_measures_run_times() -> None:
    assert "book/instructors" in (ROOT / "_toc.yml").read_text()
    assert "{nb-exec-table}" in PAGE
