"""Sphinx extension: point each chapter's Colab launch button at the chapter's generated notebook.

sphinx-book-theme builds the Colab address from the page's source file, a MyST `.md` that Colab cannot open;
`python -m gradfail notebooks` publishes an `.ipynb` per chapter on the notebooks branch, and this points there.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

from gradfail.notebooks import colab_url


def retarget_colab_button(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """Rewrite the Colab entry among the page's launch buttons (added by the theme at priority 501)."""
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []):
            if button.get("text") == "Colab":
                button["url"] = colab_url(pagename)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", retarget_colab_button, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
