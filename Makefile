# wasmlab: `make report` builds the service both ways, measures it and renders the write-up;
# `make test` runs every test, including a short end-to-end run of the same pipeline.

CARGO        ?= cargo
NATIVE_TARGET := x86_64-unknown-linux-musl
WASM_TARGET   := wasm32-wasip1
# WASI 0.2: the server context as a wasi:http component.
HTTP_TARGET   := wasm32-wasip2

# The wasip2 server exports the wasi:http proxy world only. Linked as binaries are by
# default, with wasi-libc's crt1-command.o, it would also export wasi:cli/run, listed
# first, and runwasi's shim would run it as a command. Linked without crt objects, as a
# cdylib is (wit-bindgen runs the constructors on the handler's first call), it has no
# `run`. `cargo rustc` gives these flags to that binary alone: its dependencies and the
# native and wasip1 builds are as before. A plain `cargo build` of it links a command.
HTTP_LIBC      = $(shell rustc --print sysroot)/lib/rustlib/$(HTTP_TARGET)/lib/self-contained
HTTP_PROXY_ONLY = -C link-self-contained=no -L native=$(HTTP_LIBC) -C link-arg=--no-entry

# The artifacts, named once here; `measure` and the tests read them from the environment.
export NATIVE_BIN  := $(CURDIR)/target/$(NATIVE_TARGET)/dist/moscow-time
export FLOOR_BIN   := $(CURDIR)/target/$(NATIVE_TARGET)/dist/floor
export WASM_MODULE := $(CURDIR)/target/$(WASM_TARGET)/dist/moscow-time.wasm
export WASI_HTTP_COMPONENT := $(CURDIR)/target/$(HTTP_TARGET)/dist/moscow-time.wasm
# The same as a wasi:http@0.3 component (feature wasi-http-p3, its own profile's folder).
export WASI_HTTP_P3_COMPONENT := $(CURDIR)/target/$(HTTP_TARGET)/dist-p3/moscow-time.wasm
# The Spin manifest served by `spin up` and by measure's embedded WAGI host.
export SPIN_TOML   := $(CURDIR)/service/spin.toml
export SPIN_HTTP_TOML := $(CURDIR)/service/spin-http.toml
# The traditional image's Dockerfile (measure's default is relative to the working directory).
export DOCKERFILE  := $(CURDIR)/service/Dockerfile
MEASURE       := $(CURDIR)/target/release/measure

# APP=<name> (a folder of apps/, such as APP=go) or APP=<path> (an app folder anywhere, a
# checkout of your own): `make report` builds that app from its app.toml and measures it
# instead of the Rust service, into report/<name>/ (see docs/apps.md).
ifdef APP
APP_DIR  := $(if $(wildcard $(CURDIR)/apps/$(APP)/app.toml),$(CURDIR)/apps/$(APP),$(abspath $(APP)))
APP_NAME := $(shell sed -n 's/^name *= *"\(.*\)".*/\1/p' $(APP_DIR)/app.toml 2>/dev/null | head -n 1)
APP_OUT  := $(CURDIR)/target/apps/$(APP_NAME)
export APP_BUILT := $(APP_OUT)/app.json
export SPIN_TOML := $(APP_OUT)/spin.toml
REPORT_DIR := report/$(APP_NAME)
RESULTS  ?= $(REPORT_DIR)/results.json
else
REPORT_DIR := report
endif
# One package selection for every release build (build, bench, test and the shim's
# install), so cargo resolves one feature set and compiles wasmtime once. The shim needs
# protoc, which `make setup` installs as root; without it the shim is left out. Recursive
# (`=`), so recipes that run after setup see the protoc it installed.
WORKSPACE      = --workspace $(if $(shell command -v protoc),,--exclude containerd-shim-wasmtime)

# Measuring options for `make report`, for example `make report RUNS=50`: RUNS, WARMUP and
# LOAD_SECONDS pass `--runs`, `--warmup` and `--load-seconds` when given; otherwise
# measure's own defaults hold (`measure run --help` lists them), written once, there.
MEASURE_ARGS = $(if $(RUNS),--runs $(RUNS)) $(if $(WARMUP),--warmup $(WARMUP)) \
	$(if $(LOAD_SECONDS),--load-seconds $(LOAD_SECONDS))
# RESULTS names another results file (measure's default: report/results.json).
RESULTS_ARG = $(if $(RESULTS),--results $(RESULTS))
# criterion's settings for `make report`: a quick pass of a few seconds per bench.
# `make bench BENCH_ARGS=` runs criterion with its own defaults instead.
BENCH_ARGS ?= --warm-up-time 0.5 --measurement-time 1 --sample-size 20

# `make bench-spin SPIN_ARGS=--deploy` also times `spin deploy`; SPIN_URL (from the
# environment) adds the remote series.
SPIN_ARGS ?=
# The Spin step of `make report`: six requests per series (the fewest an interval is drawn
# from), spaced briefly.
SPIN_QUICK := --runs 6 --starts 6 --cold-interval 0.2 --warm-interval 0.2

.PHONY: setup daemons setup-extras browser build build-component app bench report-all bench-spin report render test clean

# The shim is installed before containerd starts: at its start containerd runs the shim
# of each task a containerd that died left (to delete it), and that is to be this one.
setup:
	@bash scripts/setup.sh
	@bash scripts/install-shim.sh
	@bash scripts/daemons.sh

# containerd and dockerd made to answer (part of setup; the tests need them too, and a
# daemon may have stopped since setup ran).
daemons:
	@bash scripts/daemons.sh

# Optional and long (about 10 minutes): the standalone wasmtime CLI, for its own startup row.
setup-extras:
	$(CARGO) install wasmtime-cli --version 48.0.8 --locked

# What `make report` runs: libraries, binaries and the benches, not the tests (`make
# test` builds those). The benches bring in the dev-dependencies, so the dependencies get
# the same features as in `cargo test` and are not compiled again there. The benches are
# named: `--benches` would also build the library and binaries as bench harnesses.
BENCHES := --bench wasm --bench service --bench wagi --bench wasi_http
export REPORT_TARGETS := --lib --bins $(BENCHES)

build: build-component
	$(CARGO) build --profile dist --target $(NATIVE_TARGET) -p moscow-time -p floor
	$(CARGO) build --profile dist --target $(WASM_TARGET) -p moscow-time --bin moscow-time
	$(CARGO) build --release $(WORKSPACE) $(REPORT_TARGETS)

# The service's wasi:http components alone (service/app.toml builds the 0.2 one this way
# too): for wasi:http 0.2, and for 0.3 (its handler async, so an instance can take several
# requests at once), exporting the handler only, like the other.
build-component:
	$(CARGO) rustc --profile dist --target $(HTTP_TARGET) -p moscow-time --bin moscow-time -- $(HTTP_PROXY_ONLY)
	$(CARGO) rustc --profile dist-p3 --target $(HTTP_TARGET) -p moscow-time --bin moscow-time \
		--features wasi-http-p3 -- $(HTTP_PROXY_ONLY)

# In-process phases (criterion); `measure run` imports their results into results.json.
bench: build
	$(CARGO) bench $(WORKSPACE) $(BENCHES) $(if $(BENCH_ARGS),-- $(BENCH_ARGS))

report: setup build $(if $(APP),app,bench)
	$(MEASURE) run $(MEASURE_ARGS) $(RESULTS_ARG)
	$(MEASURE) spin $(SPIN_QUICK) $(RESULTS_ARG) $(SPIN_ARGS)
	$(MEASURE) render $(RESULTS_ARG) --out $(REPORT_DIR)
	@echo "open $(REPORT_DIR)/index.html"

# The same lab, two languages: the Rust service and the Go program, each measured, then
# report/compare.html beside them (each notebook re-rendered to link it).
report-all:
	$(MAKE) report
	$(MAKE) report APP=go
	$(MEASURE) render --compare report/results.json report/go/results.json --out report
	$(MEASURE) render --out report
	$(MEASURE) render --results report/go/results.json --out report/go
	@echo "open report/compare.html"

# The app named by APP, built from its app.toml (the Rust service's benches are its own).
app: build
	@test -f "$(APP_DIR)/app.toml" || { echo "make: no app.toml in $(APP_DIR): APP names a folder of apps/ or an app folder"; exit 1; }
	$(MEASURE) app build $(APP_DIR) --out $(APP_OUT)

# The Spin bonus task: cold and warm curl series against Spin (or the embedded WAGI host),
# the native server and $$SPIN_URL, merged into the results, then the report re-rendered.
bench-spin: build
	$(MEASURE) spin $(if $(RUNS),--runs $(RUNS)) $(RESULTS_ARG) $(SPIN_ARGS)
	$(MEASURE) render $(RESULTS_ARG) --out report

# Re-renders from the results alone, with templates/ as it is now (read from the folder,
# so a template edit needs no rebuild); builds measure only when there is none.
render:
	@test -x $(MEASURE) || $(CARGO) build --release $(WORKSPACE) --bin measure
	$(MEASURE) render $(RESULTS_ARG) --out report --templates $(CURDIR)/templates

# The page check's browser (the report itself needs none).
browser:
	@bash scripts/install-browser.sh

# Release profile: the tests share the measure build that `make report` uses, and
# cranelift in a debug build would be slow enough to distort every wasm run.
test: build browser daemons
	$(CARGO) test --release --no-fail-fast $(WORKSPACE)
	@# Nothing the tests started may be left: containers, tasks, namespaces, shims, servers.
	$(MEASURE) clean --check

clean:
	$(CARGO) clean
	find report -mindepth 1 ! -name README.md -exec rm -rf {} +
