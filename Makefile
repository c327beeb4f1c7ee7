# The two commands that matter: `make run` and `make test`. Both install
# what is missing first (scripts/setup.sh), so they work on a fresh machine.
#
# The site (wasm, JS, CSS, public/) is built by `cargo xtask site`, a small
# workspace task on the wasm-bindgen library; `cargo leptos build|watch`
# still works for those who have cargo-leptos, from the same
# `[[workspace.metadata.leptos]]` settings.

SHELL := /bin/bash
export PATH := $(CURDIR)/tools/node_modules/.bin:$(CURDIR)/tools/venv/bin:$(HOME)/.cargo/bin:$(PATH)
export CHECK_JSONSCHEMA := $(CURDIR)/tools/venv/bin/check-jsonschema
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
DEMO_DB ?= sqlite://marquee.db
# The Rust tests and the browser tests' server: one build, shared.
TEST_BUILD := --workspace --features app/ssr

.PHONY: run demo-build build dist dev test test-rust test-api test-e2e lint audit fuzz fmt setup setup-test clean

setup:
	@scripts/setup.sh build

setup-test:
	@scripts/setup.sh test

## Optimised build: target/release/marquee + target/site (assets it finds itself).
build: setup
	cargo xtask site --release
	cargo build --release -p server --bin marquee

## For deployment: fat LTO, one codegen unit (several minutes more): target/dist/marquee.
dist: setup
	cargo xtask site --release
	cargo build --profile dist -p server --bin marquee

## The demo's build: the debug build the tests use (`$(TEST_BUILD)`, so a
## `make test` afterwards reuses its compiled dependencies; password hashing is
## optimised even there, see Cargo.toml), about half the time of an
## optimised build on two cores; pages are rendered once per change, so
## they answer fast anyway. target/debug/marquee + target/site.
demo-build: setup
	cargo xtask site --release
	cargo build $(TEST_BUILD) --bin marquee

## Build, load the demo conference, serve it at http://127.0.0.1:3000.
run: demo-build
	MARQUEE_DATABASE_URL=$(DEMO_DB) target/debug/marquee demo
	MARQUEE_DATABASE_URL=$(DEMO_DB) target/debug/marquee serve

## Debug build, used by the browser tests: the same compilation as the Rust
## tests (so nothing is compiled twice), plus the site as deployed (release
## wasm: the page-weight test measures what visitors download).
dev: setup
	cargo test $(TEST_BUILD) --no-run
	cargo xtask site --release

## Everything: formatting, lints, unit + integration tests on SQLite and
## (when reachable) PostgreSQL, then the browser tests.
test: setup-test lint test-rust test-api test-e2e

## cargo-deny's bans, licences and sources need no network (deny.toml) once
## every crate of the lock file, for every target, is fetched (`cargo fetch`:
## a build downloads only the host's and wasm's); the advisories need the
## RustSec database: `make audit`.
lint:
	cargo fetch --locked
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --features app/ssr -- -D warnings
	cargo clippy -p app --features hydrate --target wasm32-unknown-unknown -- -D warnings
	cargo deny --offline --log-level error check bans licenses sources

## RustSec advisories. Fetches the database, or uses a local checkout:
## MARQUEE_ADVISORY_DB=/path/to/advisory-db make audit
audit:
	scripts/audit.sh

## Each fuzz target for FUZZ_SECONDS (default 60) on fuzz/corpus/.
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

## schemathesis against /api/openapi.json on a server started on loopback.
test-api: dev
	scripts/schemathesis.sh

## MARQUEE_REQUIRE_POSTGRES=1 (CI sets it): PostgreSQL is expected at
## PG_URL, so its tests run and fail, rather than being skipped, when it
## does not answer.
test-rust:
	@if [ "$${MARQUEE_REQUIRE_POSTGRES:-}" = 1 ]; then \
	  echo "PostgreSQL expected at $(PG_URL) (MARQUEE_REQUIRE_POSTGRES=1): its tests fail if it does not answer"; \
	  export MARQUEE_TEST_POSTGRES_URL=$(PG_URL); \
	elif pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || (command -v psql >/dev/null && psql "$(PG_URL)" -Atqc 'select 1' >/dev/null 2>&1); then \
	  echo "PostgreSQL reachable at 127.0.0.1:5432: store tests run on SQLite and PostgreSQL"; \
	  export MARQUEE_TEST_POSTGRES_URL=$(PG_URL); \
	else \
	  echo "PostgreSQL NOT reachable at 127.0.0.1:5432: store tests run on SQLite only"; \
	fi; \
	cargo test $(TEST_BUILD)

test-e2e: dev
	cd end2end && npx playwright test
	cd end2end && node push/firefox.mjs

fmt:
	cargo fmt --all

clean:
	cargo clean
