"""Every chapter runs through nbval under the plain `pytest` command.

nbval collects only .ipynb files, so each chapter in book/ (a jupytext MyST notebook) is written into a mirror
folder, _build/nbval/book/, which pyproject.toml lists among the test paths. The files are converted from the
sources, without outputs and with the install cell first that the readable notebooks readers open also have
(those, from `python -m gradfail notebooks`, need the built book; these need nothing). The conversion runs when
pytest imports this file, before it resolves those paths, so a fresh checkout collects every chapter. The copies
never sit beside the .md sources, where the book build would find two files for one page.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from gradfail.notebooks import write_notebooks

ROOT = Path(__file__).parent
MIRROR = ROOT / "_build" / "nbval"

shutil.rmtree(MIRROR, ignore_errors=True)
write_notebooks(ROOT / "book", MIRROR)
