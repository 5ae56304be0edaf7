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

browser-test:  ## open every built page in headless Chromium (after `make book`)
	GRADFAIL_REQUIRE_BROWSER=1 pytest -p no:cacheprovider tests/test_browser.py

notebooks:     ## every chapter as an .ipynb for Colab, in _build/notebooks/book/
	python -m gradfail notebooks --out _build/notebooks

paper:         ## every experiment at the paper's settings; results files with provenance
	python -m gradfail run all --scale paper --device auto --out src/gradfail/paper_results

benchmarks:    ## speed against baselines, side by side in one run
	python benchmarks/run.py
