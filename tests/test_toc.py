"""The book's pages in reading order (gradfail.toc), from chapters grouped in parts or not."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradfail.toc import toc_pages

ROOT = Path(__file__).resolve().parents[1]


def test_parts_are_read_in_order(tmp_path: Path) -> None:
    toc = tmp_path / "_toc.yml"
    toc.write_text(
        "root: a\nparts:\n  - caption: one\n    chapters: [{file: b}]\n"
        "  - caption: two\n    numbered: true\n    chapters: [{file: c}, {file: d}]\n"
    )
    assert toc_pages(toc) == ["a", "b", "c", "d"]


def test_the_book_lists_every_page_once() -> None:
    pages = toc_pages(ROOT / "_toc.yml")
    assert pages[0] == "book/intro" and len(pages) == len(set(pages))
    assert all((ROOT / f"{page}.md").is_file() for page in pages)


def test_a_file_without_root_is_a_clear_error(tmp_path: Path) -> None:
    toc = tmp_path / "_toc.yml"
    toc.write_text("chapters: []\n")
    with pytest.raises(ValueError, match="toc"):
        toc_pages(toc)
