# Trellis developer entry points. Each target is a script in scripts/ so CI and people run the same thing.
.PHONY: run stop test build vectors bench clean

run:    ## build and start PostgreSQL, Redis, every worker and nginx on http://127.0.0.1:8008
	@scripts/run.sh

stop:   ## stop everything 'make run' started
	@scripts/stop.sh

test:   ## install dependencies, start private PostgreSQL and Redis, run the vectors and swift test
	@scripts/test.sh

build:
	swift build

vectors: build  ## check the golden vectors in ../shared/vectors
	$$(swift build --show-bin-path)/trellis vectors verify ../shared/vectors

bench:  ## build trellis-bench in release mode and run it (state resolution of two forks of a 10,000-member room)
	swift build -c release --product trellis-bench
	$$(swift build -c release --show-bin-path)/trellis-bench

clean:  ## remove build output and local cluster state (stop first)
	rm -rf .build .run .test-run
