"""The built book as a reader sees it: every chapter page, and one readable notebook in JupyterLab, opened in
headless Chromium.

Each page must load every image, have MathJax typeset every equation, show its theorem boxes, and leave no error
in the browser console. A chapter notebook written by `python -m gradfail notebooks` must open in JupyterLab with its
figures, glued numbers and typeset mathematics, and no MyST left as text. Runs after `jupyter-book build .` and
`make notebooks`. Under plain `pytest` it is skipped, with the reason, when the book or the notebooks are not built
(or older than their sources) or no Chromium is installed (Debian: `apt-get install chromium`); `make browser-test`
sets GRADFAIL_REQUIRE_BUILD=1, which turns those skips into failures so that CI cannot pass without the check.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
from built_book import BUILD, HTML, NOTEBOOKS, ROOT, require_current_build, require_current_notebooks, unavailable

from gradfail.build_references import pasted_glue
from gradfail.notebooks import INSTALL_TAG, is_chapter
from gradfail.toc import toc_pages

SCREENSHOTS = BUILD / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("google-chrome") or shutil.which("chromium-browser")
# as root and offline: no sandbox, no GPU, and none of Chromium's own background requests to Google's hosts
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chapter_pages() -> list[str]:
    return toc_pages(ROOT / "_toc.yml")


@pytest.fixture(scope="module")
def book_url() -> Iterator[str]:
    """The built book served over HTTP on a free localhost port, for as long as the tests run."""
    require_current_build()
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        unavailable("no Chromium on this machine (Debian: apt-get install chromium); the browser check needs one")
    try:
        from playwright import sync_api
    except ImportError:
        unavailable("playwright is not installed (pip install -r requirements.txt)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.mark.parametrize("chapter", chapter_pages())
def test_chapter_page_renders(chapter: str, book_url: str, browser) -> None:
    page = browser.new_page()
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    page.goto(f"{book_url}/{chapter}.html", wait_until="load")
    equations = page.locator(".math").count()
    if equations:  # Sphinx loads MathJax only on pages with mathematics
        page.wait_for_function("() => window.MathJax?.startup?.promise", timeout=30_000)
        page.evaluate("() => MathJax.startup.promise")

    broken_images = page.evaluate(
        "() => Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
    )
    assert broken_images == [], f"{chapter}: images that did not load: {broken_images}"

    source = (ROOT / f"{chapter}.md").read_text()
    figures = len(re.findall(r"^\s+name: fig-", source, flags=re.M))
    assert page.locator("figure img").count() >= figures, f"{chapter}: fewer figure images than figures"

    typeset = page.locator(".math mjx-container").count()
    assert typeset == equations, f"{chapter}: MathJax typeset {typeset} of {equations} equations"
    if "$" in source:
        assert equations > 0, f"{chapter}: the source has mathematics but the page shows none"

    theorem_boxes = len(re.findall(r"^`{3,}\{prf:(?!ref)\w+\}", source, flags=re.M))
    assert page.locator("div.proof").count() >= theorem_boxes, f"{chapter}: theorem boxes missing"

    assert console_errors == [], f"{chapter}: browser console errors: {console_errors}"
    page.close()


# links whose hover preview (sphinx-tippy) is checked: a CSS selector, and the same link in the built HTML
PREVIEWED_LINKS = {
    "theorem": ('a.reference.internal[href*="#thm-"]', r'class="reference internal" href="[\w.-]*#thm-'),
    "figure": ('a.reference.internal[href*="#fig-"]', r'class="reference internal" href="[\w.-]*#fig-'),
    "another chapter": (
        'a.reference.internal[href*=".html#"]:not([href^="bibliography.html"])',
        r'class="reference internal" href="(?!bibliography)[\w-]+\.html#',
    ),
    "citation": (
        'a.reference.internal[href^="bibliography.html#"]',
        r'class="reference internal" href="bibliography\.html#',
    ),
}

# the title of a link's target as the built page has it (heading, theorem title, caption, citation label), up to its
# first mathematics, which MathJax typesets in the tooltip
TARGET_TITLE = """async href => {
    const url = new URL(href, location.href);
    const html = await (await fetch(url)).text();
    let target = new DOMParser().parseFromString(html, "text/html").getElementById(url.hash.slice(1));
    if (!target.textContent.trim()) target = target.parentElement;
    const title = target.querySelector("h1, h2, h3, h4, h5, h6, .admonition-title, figcaption, .label") ?? target;
    return title.textContent.split("\\\\(")[0];
}"""


@pytest.mark.parametrize("kind", PREVIEWED_LINKS)
def test_reference_previews_its_target_on_hover(kind: str, book_url: str, browser) -> None:
    """Hovering a reference shows a tooltip with what it points to, its mathematics typeset."""
    selector, in_html = PREVIEWED_LINKS[kind]
    pages = [chapter for chapter in chapter_pages() if re.search(in_html, (HTML / f"{chapter}.html").read_text())]
    assert pages, f"no chapter page has a {kind} reference"
    page = browser.new_page()
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    page.goto(f"{book_url}/{pages[0]}.html", wait_until="load")
    page.wait_for_function("() => window.MathJax?.startup?.promise", timeout=30_000)
    page.evaluate("() => MathJax.startup.promise")

    link = page.locator(f"article.bd-article {selector}").first
    target_text = " ".join(page.evaluate(TARGET_TITLE, link.get_attribute("href")).split())[:40]
    assert len(target_text) >= 5, f"{pages[0]}: the {kind} reference's target has no title to look for"
    link.hover()
    tip = page.locator("[data-tippy-root] .tippy-content").filter(has_text=target_text).first
    tip.wait_for(state="visible", timeout=10_000)
    page.wait_for_function(
        "tip => tip.querySelectorAll('.math').length === tip.querySelectorAll('.math mjx-container').length",
        arg=tip.element_handle(),
        timeout=30_000,
    )
    assert console_errors == [], f"{pages[0]}: browser console errors on hovering a {kind}: {console_errors}"
    page.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """JupyterLab serving a copy of the written notebooks (its checkpoints stay out of the published folder) on a free
    localhost port (no token), every cell attached at once."""
    if importlib.util.find_spec("jupyterlab") is None:
        unavailable("JupyterLab is not installed (pip install -r requirements.txt)")
    home = tmp_path_factory.mktemp("jupyterlab")
    served = shutil.copytree(require_current_notebooks(), home / "notebooks")
    settings = {  # every cell in the page at once; no news prompt over the notebook
        "notebook-extension/tracker": {"windowingMode": "none"},
        "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }
    for name, values in settings.items():
        path = home / "settings" / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port = free_port()
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}"]
    command += ["--ServerApp.token=", "--ServerApp.password=", f"--ServerApp.root_dir={served}"]
    command += [f"--LabApp.user_settings_dir={home / 'settings'}", f"--LabApp.workspaces_dir={home / 'workspaces'}"]
    environment = os.environ | {"JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "run")}
    with (home / "server.log").open("w") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{(home / 'server.log').read_text()[-2000:]}")
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def glued_values(chapter: str) -> list[str]:
    """The values the chapter's prose pastes with `{glue:text}`, formatted as the page shows them."""
    return pasted_glue(BUILD / "jupyter_execute" / f"{chapter}.ipynb")


def test_a_chapter_notebook_reads_like_its_page_in_jupyterlab(jupyterlab: str, browser) -> None:
    pages = toc_pages(ROOT / "_toc.yml")
    chapters = [page for page in pages if (NOTEBOOKS / f"{page}.ipynb").exists() and glued_values(page)]
    if not chapters:
        unavailable("no written notebook with glued numbers: run `make notebooks` after `make book`")
    chapter = chapters[0]
    number = max((value for value in glued_values(chapter) if re.search(r"\d", value)), key=len)
    page = browser.new_page(viewport={"width": 1280, "height": 1600})
    page.goto(f"{jupyterlab}/lab/tree/{chapter}.ipynb", wait_until="load")
    page.wait_for_function("() => document.querySelector('.jp-Notebook .jp-RenderedMarkdown')", timeout=45_000)
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.jp-OutputArea-output img')).some(i => i.naturalWidth > 0)",
        timeout=30_000,
    )
    page.wait_for_function("() => document.querySelector('.jp-RenderedMarkdown mjx-container')", timeout=30_000)
    page.locator(".jp-OutputArea-output img").first.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"jupyterlab-{chapter.replace('/', '-')}.png"))

    prose = "\n".join(page.locator(".jp-RenderedMarkdown").all_text_contents())  # folded details too
    assert number in prose, f"{chapter}: the glued value {number!r} is not in the rendered Markdown"
    for leaked in ("{glue", "{cite}", "{ref}", "{numref}", "{prf:ref}", "```{", ":::{"):
        assert leaked not in prose, f"{chapter}: JupyterLab shows {leaked!r} as text"
    assert page.locator(".jp-RenderedMarkdown blockquote").count() > 0, f"{chapter}: no box rendered"
    assert page.locator("mjx-merror").count() == 0, f"{chapter}: MathJax could not typeset some formula"
    page.close()


@pytest.mark.parametrize("chapter", [page for page in toc_pages(ROOT / "_toc.yml") if is_chapter(ROOT / f"{page}.md")])
def test_each_chapter_page_offers_its_readable_notebook(chapter: str, book_url: str) -> None:
    page_url = f"{book_url}/{chapter}.html"
    with urllib.request.urlopen(page_url) as response:
        html = response.read().decode()
    link = re.search(r'<a href="([^"]+\.ipynb)"[^>]*class="[^"]*btn-download-notebook-button', html)
    assert link, f"{chapter}: the download menu offers no .ipynb"
    try:
        with urllib.request.urlopen(urllib.parse.urljoin(page_url, link.group(1))) as response:
            notebook = json.loads(response.read())
    except urllib.error.HTTPError as error:
        pytest.fail(f"{chapter}: {link.group(1)} is not there ({error}): run `make notebooks` after `make book`")
    assert notebook["nbformat"] == 4 and notebook["cells"][0]["metadata"]["tags"] == [INSTALL_TAG], chapter
    executed = json.loads((BUILD / "jupyter_execute" / f"{chapter}.ipynb").read_text())

    def images(cells: list[dict]) -> int:
        return sum("image/png" in output.get("data", {}) for cell in cells for output in cell.get("outputs", []))

    assert images(notebook["cells"]) == images(executed["cells"]), f"{chapter}: figures lost"
