"""Sphinx extension: include each page script once.

sphinx-thebe registers its inline configuration script every time Sphinx reads the sources, and Jupyter Book
reads them twice (once registered with no file name, once with an empty one), so every page declared
`const THEBE_JS_URL` twice: a console error in every reader's browser.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def drop_repeated_scripts(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """Keep the first of any scripts with the same file name and the same inline body."""
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = (getattr(script, "filename", script) or "", getattr(script, "attributes", {}).get("body", ""))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", drop_repeated_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
