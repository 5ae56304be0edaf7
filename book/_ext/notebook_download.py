"""Sphinx extension: each chapter page's download menu offers the chapter as a readable notebook (".ipynb").

`python -m gradfail notebooks` (after the build) writes each chapter, with its outputs and plain Markdown, into
the HTML output at `_notebooks/<page>.ipynb`; this adds the entry that points there, by a relative address, to
sphinx-book-theme's download dropdown (added by the theme at priority 501).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

from gradfail.notebooks import download_path, is_chapter


def add_notebook_download(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """Put ".ipynb" first in the page's download group when the page is a chapter."""
    if not is_chapter(Path(app.srcdir) / f"{pagename}.md"):
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"].insert(
                0,
                {
                    "type": "link",
                    "url": context["pathto"](download_path(pagename), 1),
                    "text": ".ipynb",
                    "tooltip": "Download this chapter as a notebook, with its outputs",
                    "icon": "fas fa-code",
                    "label": "download-notebook-button",
                },
            )


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", add_notebook_download, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
