# Two commands on a fresh Debian 12 machine: `make run` and `make test`. Both install what is missing first.
PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)

.PHONY: run test build configure deps clean package

run: build
	scripts/run.sh $(BUILD_DIR)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# The Debian package (build/release/ganstudio_VERSION_ARCH.deb): GUI, CLI, demo model, desktop entry.
package: build
	cd $(BUILD_DIR) && cpack -G DEB

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

configure: deps
	cmake --preset $(PRESET)

deps:
	scripts/install-deps.sh

clean:
	rm -rf build
