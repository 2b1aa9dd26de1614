# Developer entry points. Every target that needs tools first runs tools/bootstrap.sh, which makes
# or refreshes .venv (fast when nothing changed). See docs/development.md.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
COLLECTION := $(VENV)/collections/ansible_collections/oracle_comms/provisioning
# Extra pytest arguments, e.g. make test PYTEST_ARGS="-k sanity -x"; PYTEST_WORKERS=N sets xdist's workers
# (default: two per core, at most 8; see tools/test.sh).
PYTEST_ARGS ?=
# Extra benchmark arguments, e.g. make bench BENCH_ARGS="--quick --only pertask" (python -m benchmarks --help)
BENCH_ARGS ?=

.PHONY: help bootstrap check test test-quick demo bench sanity units lint importer build clean distclean

help:
	@echo "make check       the edit loop, a few minutes: unit tests + layout, ansible-lint, pep8/pylint/validate-modules/import on your change (tools/check.sh; CHECK_ALL=1: everything)"
	@echo "make test        bootstrap, then the whole suite in one pytest run (tests/: emulator, unit, integration, checks)"
	@echo "make test-quick  the same without the slow ecosystem checks (pytest -m 'not checks')"
	@echo "make demo        bootstrap, then start the emulator and run examples/demo.yml against it"
	@echo "make bench       bootstrap, then the benchmarks (benchmarks/README.md); BENCH_ARGS=\"--quick\" for a short run"
	@echo "make sanity      ansible-test sanity on a clean copy of the collection"
	@echo "make units       ansible-test units on a clean copy of the collection (the unit tests as ansible-test runs them)"
	@echo "make lint        ansible-lint (production profile), antsibull-changelog lint, antsibull-docs lint"
	@echo "make build       ansible-galaxy collection build into build/"
	@echo "make importer    build, then galaxy-importer on the artifact (fails on any warning)"
	@echo "make docs        render the module, plugin and role docs as HTML into build/docs/html (tools/docs.sh)"
	@echo "make compat      unit and integration tests on the oldest claimed ansible-core, 2.18 (tools/compat.sh)"
	@echo "make changelog   RELEASE ONLY: antsibull-changelog release for galaxy.yml's version (consumes the fragments)"
	@echo "make clean       remove build output and caches (make distclean also removes .venv)"

bootstrap:
	@echo "==> bootstrap: .venv with pinned requirements-dev.txt (tools/bootstrap.sh)"
	@tools/bootstrap.sh

check: bootstrap
	@echo "==> check: unit tests, lint, fast sanity on the change, side by side (tools/check.sh)"
	@tools/check.sh $(PYTEST_ARGS)

test: bootstrap
	@echo "==> pytest: the whole suite under tests/ (tools/test.sh)"
	@tools/test.sh $(PYTEST_ARGS)

test-quick: bootstrap
	@echo "==> pytest: everything but the ecosystem checks (tools/test.sh -m 'not checks')"
	@tools/test.sh -m "not checks" $(PYTEST_ARGS)

demo: bootstrap
	@echo "==> demo: emulator + examples/demo.yml + audit log (tools/demo.sh)"
	@tools/demo.sh

bench: bootstrap
	@echo "==> benchmarks against the emulator (python -m benchmarks $(BENCH_ARGS)); results in benchmarks/results/"
	@$(BIN)/python -m benchmarks $(BENCH_ARGS)

sanity: bootstrap
	@echo "==> ansible-test sanity (tools/sanity.sh)"
	@tools/sanity.sh

units: bootstrap
	@echo "==> ansible-test units (tools/units.sh)"
	@tools/units.sh

lint: bootstrap
	@echo "==> ansible-lint, production profile (.ansible-lint)"
	ANSIBLE_COLLECTIONS_PATH="$(CURDIR)/$(VENV)/collections" $(BIN)/ansible-lint --nocolor
	@echo "==> antsibull-changelog lint"
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
	@echo "==> antsibull-docs lint-collection-docs --plugin-docs"
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/antsibull-docs lint-collection-docs --plugin-docs $(COLLECTION)

build: bootstrap
	@echo "==> ansible-galaxy collection build into build/"
	@mkdir -p build
	$(BIN)/ansible-galaxy collection build --force --output-path build .

importer: build
	@echo "==> galaxy-importer on the artifact (tools/importer.sh)"
	@tools/importer.sh build/oracle_comms-provisioning-$$(sed -n 's/^version: *//p' galaxy.yml).tar.gz

.PHONY: docs compat changelog

docs: bootstrap
	@echo "==> rendered docs: antsibull-docs + Sphinx into build/docs/html (tools/docs.sh)"
	@tools/docs.sh build/docs

compat:
	@echo "==> unit and integration tests on ansible-core 2.18 in .venv/core2.18 (tools/compat.sh)"
	@tools/compat.sh $(PYTEST_ARGS)

# At release time only: turns changelogs/fragments/ into CHANGELOG.md and the version's entry in
# changelogs/changelog.yaml, and deletes the fragments (docs/development.md, Releasing).
# A released version is never released again: antsibull-changelog would merge the new fragments into it.
changelog: bootstrap
	@version="$$(sed -n 's/^version: *//p' galaxy.yml)"; \
	if $(BIN)/python -c 'import sys, yaml; sys.exit(sys.argv[1] not in (yaml.safe_load(open("changelogs/changelog.yaml"))["releases"] or {}))' "$$version"; then \
		echo "make changelog: $$version is released already (changelogs/changelog.yaml); set galaxy.yml's version: to the next one first" >&2; exit 1; \
	fi; \
	echo "==> antsibull-changelog release --version $$version"; \
	PATH="$(CURDIR)/$(BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH="$(CURDIR)/$(VENV)/collections" \
		$(BIN)/antsibull-changelog release --version "$$version"
	$(BIN)/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml

clean:
	@echo "==> removing build/, tests/output/, caches"
	rm -rf build tests/output .pytest_cache changelogs/.plugin-cache.yaml importer_result.json
	find . -path ./.venv -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	@echo "==> removing .venv"
	rm -rf $(VENV)
