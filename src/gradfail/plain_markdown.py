"""A chapter's MyST Markdown rewritten as plain Jupyter Markdown (JupyterLab 4, Colab): pure string rewriting.

Glue roles become the glued values (formatted as myst-nb formats them), citations and cross-references become links
to the published book with the text its HTML shows, theorem, exercise and note boxes become headed blockquotes,
`(label)=` lines go, and the book's LaTeX macros are expanded inside the mathematics. Everything read from the build
comes in a `Lookup` (see gradfail.build_references), so the rules are testable on strings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from myst_nb.core.variables import format_plain_text  # the glue:text role's own formatting

LEFTOVER_ROLE = re.compile(r"\{[a-z][\w:-]*\}`")
LEFTOVER_FENCE = re.compile(r"^[ \t]*(?:`{3,}|:{3,})\{", re.M)
LABEL_LINE = re.compile(r"^[ \t]*\([^()\s]+\)=[ \t]*$", re.M)
ROLE = re.compile(r"\{(?P<name>[a-z][\w:-]*)\}`(?P<content>[^`]*)`")
INLINE_CODE = re.compile(r"(?P<ticks>`+).+?(?P=ticks)", re.S)
CODE_SPAN_ALONE = re.compile(r"(?<![}`])(`+).+?\1", re.S)  # an inline code span that is not a role's content
FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|:{3,})(?P<info>.*)$")
DIRECTIVE_INFO = re.compile(r"^\{(?P<name>[a-z][\w:-]*)\}[ \t]*(?P<argument>.*)$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
EXPLICIT_TARGET = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
MATH = re.compile(r"(?<![\\$])(?P<delimiter>\$\$?)(?P<body>(?:\\.|[^\\$])+?)(?P=delimiter)", re.S)
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>])")
ADMONITIONS = {
    "note": "Note",
    "tip": "Tip",
    "hint": "Hint",
    "important": "Important",
    "warning": "Warning",
    "caution": "Caution",
    "attention": "Attention",
    "danger": "Danger",
    "error": "Error",
    "seealso": "See also",
}
NUMBERED_BOXES = ("prf:", "exercise")


@dataclass(frozen=True)
class Citation:
    """A bibliography entry as the book's HTML cites it: author–year text (Markdown), the entry's address, and
    its place in the bibliography (one citation of several keys lists them in that order, as the HTML does)."""

    text: str
    url: str
    order: int = 0


@dataclass(frozen=True)
class Target:
    """A label's page address, its title (what `{ref}` shows) and number as the HTML shows it ("Fig. 4.2")."""

    url: str
    title: str
    number: str | None = None


@dataclass(frozen=True)
class Lookup:
    """What the rewriting reads from the build: this chapter's glued outputs (key → MIME bundle), every chapter's
    (for `doc::key`), citations by key, targets by label, and the book's MathJax macros (name → replacement)."""

    glue: Mapping[str, Mapping[str, str]]
    citations: Mapping[str, Citation]
    targets: Mapping[str, Target]
    macros: Mapping[str, str] = field(default_factory=dict)
    other_glue: Mapping[str, Mapping[str, Mapping[str, str]]] = field(default_factory=dict)


def escape(text: str) -> str:
    """Plain text made literal in Markdown (emphasis, code, links and HTML characters escaped)."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


def leftovers(markdown: str) -> list[str]:
    """The MyST roles, directive fences and `(label)=` lines left in `markdown` (plain code fences excepted)."""
    text = "\n".join(_outside_code_fences(markdown.splitlines()))
    found = [match.group(0) for match in LEFTOVER_ROLE.finditer(CODE_SPAN_ALONE.sub("", text))]
    found += [line.strip() for line in text.splitlines() if LEFTOVER_FENCE.match(line) or LABEL_LINE.match(line)]
    return found


def require_plain(markdown: str, where: str) -> str:
    """`markdown`, or a ValueError naming `where` and what MyST is left in it."""
    left = leftovers(markdown)
    if left:
        raise ValueError(f"{where}: MyST left in a Markdown cell after conversion: {', '.join(map(repr, left))}")
    return markdown


def to_markdown(source: str, lookup: Lookup, where: str) -> str:
    """One Markdown cell of a chapter (`where` names it in errors) as plain Markdown; raises on leftover MyST."""
    return require_plain(_rewrite_block(source.splitlines(), lookup, where).strip("\n"), where)


def _outside_code_fences(lines: list[str]) -> list[str]:
    """The lines that are not inside a plain (non-directive) fenced code block."""
    kept, index = [], 0
    while index < len(lines):
        opening = FENCE_OPEN.match(lines[index])
        if opening and not opening["info"].startswith("{"):
            index = _closing_line(lines, index, opening["fence"]) + 1
            continue
        kept.append(lines[index])
        index += 1
    return kept


def _closing_line(lines: list[str], opening: int, fence: str) -> int:
    """The index of the line that closes the fence opened at `opening` (CommonMark: same character, as long)."""
    closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
    for index in range(opening + 1, len(lines)):
        if closing.match(lines[index]):
            return index
    return len(lines)


def _rewrite_block(lines: list[str], lookup: Lookup, where: str) -> str:
    """Rewrite a run of Markdown lines: fenced directives by their rules, code fences kept, the rest inline."""
    out: list[str] = []
    prose: list[str] = []
    index = 0

    def flush() -> None:
        out.append(_rewrite_inline("\n".join(line for line in prose if not LABEL_LINE.match(line)), lookup, where))
        prose.clear()

    while index < len(lines):
        opening = FENCE_OPEN.match(lines[index])
        if not opening:
            prose.append(lines[index])
            index += 1
            continue
        flush()
        end = _closing_line(lines, index, opening["fence"])
        directive = DIRECTIVE_INFO.match(opening["info"].strip())
        if directive:
            options, body = _options_and_body(lines[index + 1 : end])
            rendered = _directive(directive["name"], directive["argument"].strip(), options, body, lookup, where)
            out.extend(["", rendered, ""])  # a block of its own: no lazy continuation into the next paragraph
        else:
            out.append("\n".join(lines[index : end + 1]))
        index = end + 1
    flush()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out))


def _options_and_body(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """A directive's `:key: value` options (or a `---` YAML block of them) and the lines of its body."""
    options: dict[str, str] = {}
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), len(lines))
        for line in lines[1:end]:
            key, _, value = line.partition(":")
            options[key.strip()] = value.strip()
        return options, lines[end + 1 :]
    index = 0
    while index < len(lines) and (option := OPTION.match(lines[index].strip())):
        options[option["key"]] = option["value"].strip()
        index += 1
    return options, lines[index:]


def _quote(heading: str, body: str) -> str:
    """A blockquote: the bold heading on its own line, then the body, each line prefixed."""
    lines = [f"**{heading}**", "", *body.strip("\n").splitlines()] if body.strip() else [f"**{heading}**"]
    return "\n".join(f"> {line}".rstrip() for line in lines)


def _details(summary: str, body: str) -> str:
    """A folded block (`<details>`), as the HTML folds dropdowns; JupyterLab and Colab render it."""
    return f"<details>\n<summary>{summary}</summary>\n\n{body.strip()}\n\n</details>"


def _with_period(text: str) -> str:
    return text if text.endswith((".", "?", "!", ":")) else f"{text}."


def _numbered(label: str | None, lookup: Lookup, where: str, what: str) -> str:
    """The number the HTML shows for a labelled box ("Theorem 2", "Exercise 3")."""
    if not label:
        raise ValueError(f"{where}: a {what} without a :label:; label it so its number can be read from the build")
    number = _target(label, lookup, where).number
    if number is None:
        raise ValueError(f"{where}: the build shows no number for {what} {label!r}")
    return number


def _directive(name: str, argument: str, options: dict[str, str], body: list[str], lookup: Lookup, where: str) -> str:
    """One MyST directive as plain Markdown (the box rules of the module docstring)."""
    content = _rewrite_block(body, lookup, where)
    title = _rewrite_inline(argument, lookup, where)
    dropdown = "dropdown" in options.get("class", "").split()
    if name == "prf:proof":
        return _quote("Proof.", content)
    if name.startswith(NUMBERED_BOXES):
        number = _numbered(options.get("label"), lookup, where, name)
        return _quote(_with_period(f"{number} ({title})" if title else number), content)
    if name in ("solution-start", "solution"):
        exercise = _numbered(argument.split()[0] if argument else None, lookup, where, "solution's exercise")
        heading = f"**Solution to {exercise}**"
        return heading if name == "solution-start" else _quote(f"Solution to {exercise}", content)
    if name == "solution-end":
        return ""
    if name == "math":
        return f"$$\n{content.strip()}\n$$"
    if name in ADMONITIONS or name in ("admonition", "dropdown"):
        heading = title if name in ("admonition", "dropdown") else ADMONITIONS[name]
        if dropdown or name == "dropdown":
            return _details(heading, content)
        return _quote(heading, content)
    raise ValueError(f"{where}: no plain-Markdown rule for the directive {{{name}}}")


def _rewrite_inline(text: str, lookup: Lookup, where: str) -> str:
    """Roles replaced (inline code left alone), then the mathematics put on one line with the macros expanded."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0).startswith("`"):
            return match.group(0)
        return _role(match["name"], match["content"], lookup, where)

    pattern = re.compile(f"{ROLE.pattern}|{INLINE_CODE.pattern}", re.S)
    return _math(pattern.sub(replace, text), lookup.macros)


def _math(text: str, macros: Mapping[str, str]) -> str:
    """Each `$…$` and `$$…$$` span on one line (a blockquote prefix inside a formula would become TeX) and with
    the book's macros (`\\E` …) expanded: Jupyter's MathJax does not know them."""

    def one_line(match: re.Match[str]) -> str:
        body = " ".join(line.strip() for line in match["body"].splitlines())
        if macros:
            body = re.sub(rf"\\({'|'.join(map(re.escape, macros))})(?![A-Za-z])", lambda m: macros[m[1]], body)
        return f"{match['delimiter']}{body.strip() if match['delimiter'] == '$$' else body}{match['delimiter']}"

    parts = re.split(f"({INLINE_CODE.pattern})", text, flags=re.S)
    # re.split keeps the code spans and their backtick group: rewrite only the text between code spans
    rewritten, index = [], 0
    while index < len(parts):
        rewritten.append(MATH.sub(one_line, parts[index]))
        if index + 1 < len(parts):
            rewritten.append(parts[index + 1])
        index += 3
    return "".join(rewritten)


def _target(label: str, lookup: Lookup, where: str) -> Target:
    try:
        return lookup.targets[label]
    except KeyError:
        raise ValueError(f"{where}: the label {label!r} is not in the build") from None


def _glued(key: str, lookup: Lookup, where: str) -> Mapping[str, str]:
    """The glued MIME bundle under `key`, or `doc::key` from another chapter."""
    document, _, name = key.rpartition("::")
    table = lookup.other_glue.get(document.rsplit("/", 1)[-1].removesuffix(".ipynb")) if document else lookup.glue
    if table is None or name not in table:
        raise ValueError(f"{where}: nothing is glued under {key!r} in the build")
    return table[name]


def _glue_text(content: str, lookup: Lookup, where: str) -> str:
    key, spec = content.rsplit(":", 1) if ":" in content.replace("::", "") else (content, "s")
    bundle = _glued(key, lookup, where)
    if "text/plain" not in bundle:
        raise ValueError(f"{where}: {key!r} has no text/plain value to paste")
    return escape(format_plain_text(bundle["text/plain"], spec))


def _glue_markdown(content: str, lookup: Lookup, where: str) -> str:
    key = content.rsplit(":", 1)[0] if ":" in content.replace("::", "") else content
    bundle = _glued(key, lookup, where)
    if "text/markdown" not in bundle:
        raise ValueError(f"{where}: {key!r} has no text/markdown value to paste")
    return bundle["text/markdown"]


def _cite(content: str, lookup: Lookup, where: str) -> str:
    citations = []
    for key in (key.strip() for key in content.split(",")):
        if key not in lookup.citations:
            raise ValueError(f"{where}: the citation {key!r} is not in the build")
        citations.append(lookup.citations[key])
    links = [f"[{citation.text}]({citation.url})" for citation in sorted(citations, key=lambda c: c.order)]
    return f"[{', '.join(links)}]"


def _split_target(content: str) -> tuple[str | None, str]:
    explicit = EXPLICIT_TARGET.match(content.strip())
    return (explicit["text"], explicit["target"].strip()) if explicit else (None, content.strip())


def _ref(content: str, lookup: Lookup, where: str) -> str:
    text, label = _split_target(content)
    target = _target(label, lookup, where)
    return f"[{text if text is not None else escape(target.title)}]({target.url})"


def _numref(content: str, lookup: Lookup, where: str) -> str:
    text, label = _split_target(content)
    number = _numbered(label, lookup, where, "numbered reference to")
    if text is not None:
        digits = number.rsplit(" ", 1)[-1]
        number = text.replace("%s", digits).replace("{number}", digits)
    return f"[{number}]({_target(label, lookup, where).url})"


def _prf_ref(content: str, lookup: Lookup, where: str) -> str:
    text, label = _split_target(content)
    shown = text if text is not None else _numbered(label, lookup, where, "box")
    return f"[{shown}]({_target(label, lookup, where).url})"


ROLES: dict[str, Callable[[str, Lookup, str], str]] = {
    "glue:text": _glue_text,
    "glue:md": _glue_markdown,
    "cite": _cite,
    "ref": _ref,
    "numref": _numref,
    "prf:ref": _prf_ref,
    "math": lambda content, lookup, where: f"${content}$",
}


def _role(name: str, content: str, lookup: Lookup, where: str) -> str:
    if name not in ROLES:
        raise ValueError(f"{where}: no plain-Markdown rule for the role {{{name}}}")
    return ROLES[name](content, lookup, where)
