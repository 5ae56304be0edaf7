# The project's commands, one target each. CI (.ci/run) and the GitHub workflow call these and nothing else.
.PHONY: install lint test book browser-test notebooks paper benchmarks

install:       ## everything the book, its helpers and its tests need (pinned)
	pip install -r requirements.txt

lint:          ## ruff, as CI runs it: the package and tests at 120 columns, the chapters' code at 88
	ruff check .
	ruff format --check .
	python .ci/lint_chapters.py

test:          ## the README's test command: unit tests, then every chapter through nbval
	pytest

book:          ## execute every chapter afresh and build the HTML book, warnings as errors, then check its pages
	jupyter-book clean . --all
	jupyter-book build . -W -n --keep-going
	python .ci/check_book.py

notebooks:     ## every chapter as a readable .ipynb with its outputs (after `make book`): _build/notebooks/book/ for
               ## Colab, and copied into the HTML (_build/html/_notebooks/) for each page's download button
	python -m gradfail notebooks --build _build --out _build/notebooks

browser-test:  ## after `make notebooks`: the notebooks checked against the build, and every built page and one notebook
               ## in JupyterLab opened in headless Chromium; a missing or stale build fails instead of skipping
	GRADFAIL_REQUIRE_BUILD=1 pytest -p no:cacheprovider tests/test_notebooks.py tests/test_browser.py

paper:         ## every experiment at the paper's settings; results files with provenance
	python -m gradfail run all --scale paper --device auto --out src/gradfail/paper_results

benchmarks:    ## speed against baselines, side by side in one run
	python benchmarks/run.py
