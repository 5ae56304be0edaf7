"""The book's pages in reading order, read from `_toc.yml` (Jupyter Book 1.x; chapters may be grouped in parts)."""

from __future__ import annotations

from pathlib import Path

import yaml


def toc_pages(toc: Path) -> list[str]:
    """The root page, then every chapter of every part, as paths without suffix (e.g. "book/parities")."""
    data = yaml.safe_load(toc.read_text())
    if not isinstance(data, dict) or "root" not in data:
        raise ValueError(f"toc must be a Jupyter Book _toc.yml with a root page; {toc} is not")
    chapters = [*data.get("chapters", []), *(entry for part in data.get("parts", []) for entry in part["chapters"])]
    return [data["root"], *(entry["file"] for entry in chapters)]
