"""`make lint` checks the chapters' code at the book's column width (.ci/lint_chapters.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A chapter

```{code-cell} ipython3
CODE
```
"""


def lint(tmp_path: Path, code: str, *, fix: bool = False) -> subprocess.CompletedProcess[str]:
    chapter = tmp_path / "chapter.md"
    chapter.write_text(HEADER.replace("CODE", code))
    command = [sys.executable, str(ROOT / ".ci" / "lint_chapters.py"), *(["--fix"] if fix else []), str(chapter)]
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)


def test_a_short_formatted_cell_passes(tmp_path: Path) -> None:
    assert lint(tmp_path, 'print("fits")').returncode == 0


@pytest.mark.parametrize("width", [89, 100])
def test_a_code_line_over_88_characters_fails(tmp_path: Path, width: int) -> None:
    line = f'print("{"words " * 20}")'[: width - 2] + '")'  # ruff ignores over-long lines without spaces
    assert len(line) == width
    done = lint(tmp_path, line)
    assert done.returncode == 1 and "E501" in done.stdout, done.stdout


def test_fix_formats_code_but_cannot_split_a_long_string(tmp_path: Path) -> None:
    assert lint(tmp_path, "y = [1,2,\n  3]", fix=True).returncode == 0
    assert "y = [1, 2, 3]" in (tmp_path / "chapter.md").read_text()
    assert lint(tmp_path, f'print("{"words " * 16}")', fix=True).returncode == 1
