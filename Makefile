# sluice - top-level entry points. Each target installs the Debian packages it
# needs (scripts/deps.sh; root or sudo only when something is missing).
#
#   make          build (release) into build/
#   make demo     the main job on SQLite: inspect, migrate, copy the example project
#   make check    the whole test suite: ASan+UBSan build, real PostgreSQL and
#                 MariaDB on throwaway ports, unit + integration + fuzz tests (ctest)
#                 including the conformance run over every peer's database of
#                 ../shared/data (docs/testing.md)
#   make check-quick  the same with the conformance run on pgloader's fixtures only,
#                 for iterating
#   make bench    benchmarks against pgloader, sqitch, percona-toolkit, COPY
#   make fuzz     run each libFuzzer target longer (FUZZ_SECONDS, default 300)

BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all build demo check check-quick bench fuzz deps clean

all: build

deps:
	@scripts/deps.sh build

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DSLUICE_TESTS=OFF >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)/sluice

check:
	@scripts/deps.sh test
	@scripts/check.sh

check-quick:
	@scripts/deps.sh test
	@SLUICE_CONFORMANCE=quick scripts/check.sh

bench: build
	@scripts/deps.sh bench
	@bench/run.sh $(BUILD)/sluice

fuzz:
	@scripts/deps.sh test
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-300} scripts/fuzz.sh

clean:
	rm -rf build build-check build-fuzz
