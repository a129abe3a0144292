# Trellis developer entry points. Each target is a script in scripts/ so CI and people run the same thing.
.PHONY: run stop test build vectors clean

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

clean:  ## remove build output and local cluster state (stop first)
	rm -rf .build .run .test-run
