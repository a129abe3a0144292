# Trellis developer entry points. Each target is a script in scripts/ so CI and people run the same thing.
.PHONY: run stop test helm-check check-deploy build vectors bench bench-state-res bench-client bench-media bench-synapse clean

run:    ## build and start PostgreSQL, Redis, every worker and nginx on http://127.0.0.1:8008 (PROMETHEUS=1 adds Prometheus)
	@scripts/run.sh

stop:   ## stop everything 'make run' started
	@scripts/stop.sh

test:   ## install dependencies, start private PostgreSQL and Redis, run the vectors and swift test
	@scripts/test.sh

helm-check:  ## render, lint and validate the Helm chart for every helm/trellis/ci values file (no cluster needed)
	@scripts/helm-check.sh

check-deploy:  ## promtool checks and tests of the Prometheus rules, the Grafana dashboard and nginx template are current
	@scripts/check-deploy.sh

build:
	swift build

vectors: build  ## check the golden vectors in ../shared/vectors
	$$(swift build --show-bin-path)/trellis vectors verify ../shared/vectors

bench: bench-state-res bench-client bench-media  ## every benchmark: state resolution, the client API and media against the real cluster

bench-state-res:  ## state resolution of two forks of a 10,000-member room, push rules of a message to 10,000 members (trellis-bench, release)
	swift build -c release --product trellis-bench
	$$(swift build -c release --show-bin-path)/trellis-bench

bench-client:  ## client API scenarios of ../shared/bench/matrix_bench.py against the release cluster (SYNAPSE=1 adds the anchor)
	@scripts/bench/client_api.sh

bench-media:  ## media upload/download MB/s and thumbnails per second against the release cluster (SYNAPSE=1 adds the anchor)
	@BENCH_SCENARIOS= MEDIA=1 scripts/bench/client_api.sh

clean:  ## remove build output and local cluster state (stop first)
	rm -rf .build .run .test-run

# bench-synapse: resolves the bench room (room version 2, state resolution v2) with trellis-bench and with
# Synapse's resolver used as a library (scripts/bench/synapse_state_res.py, which also checks both give the
# same state), then prints both medians and the ratio Synapse/Trellis. SYNAPSE_PYTHON is a Python with
# matrix-synapse installed, e.g. `python3 -m venv /tmp/synvenv && /tmp/synvenv/bin/pip install
# matrix-synapse==1.163.2`. BENCH_PACKAGE builds from another Swift package path (a scratch copy).
SYNAPSE_PYTHON ?= /tmp/synvenv/bin/python
BENCH_PACKAGE ?= .
BENCH_RUNS ?= 5
bench-synapse:  ## state resolution of the bench room by Trellis and by Synapse as a library; prints the ratio
	swift build -c release --package-path $(BENCH_PACKAGE) --product trellis-bench
	@set -e; \
	bin=$$(swift build -c release --package-path $(BENCH_PACKAGE) --show-bin-path); \
	room=$$(mktemp "$${TMPDIR:-/tmp}/trellis-bench.XXXXXX"); \
	trap 'rm -f "$$room"' EXIT; \
	"$$bin/trellis-bench" --version 2 --runs 1 --export "$$room" > /dev/null; \
	trellis=$$("$$bin/trellis-bench" --version 2 --runs $(BENCH_RUNS)); \
	echo "$$trellis"; \
	synapse=$$($(SYNAPSE_PYTHON) scripts/bench/synapse_state_res.py "$$room" --runs $(BENCH_RUNS)); \
	echo "$$synapse"; \
	t=$$(echo "$$trellis" | awk '/resolve wall time/ { print $$5 }'); \
	s=$$(echo "$$synapse" | awk '/^MEDIAN_MS/ { print $$2 }'); \
	awk -v t="$$t" -v s="$$s" 'BEGIN { printf "bench-synapse: Trellis %.1f ms, Synapse %.1f ms, Synapse/Trellis %.2f\n", t, s, s / t }'
