# The two front doors of Kehu:
#   make run    install what is missing, build, create a demo database, serve it
#   make test   install what is missing, build with sanitizers, run every test
# Everything else is CMake (CMakeLists.txt); this file only strings steps together.

BUILD          ?= build
PORT           ?= 8080
DEMO_DB        ?= demo.db
DEMO_CUSTOMERS ?= 2000
DEMO_PASSWORD  ?= kehu-demo
JOBS           ?= $(shell nproc)

.PHONY: run test soak deps web build build-test clean

deps:
	@scripts/deps.sh

# The release build reports warnings without failing on them: optimisation
# levels and compiler versions find different ones. `make test` (what CI runs)
# builds with -Werror.
build: deps web
	@cmake -S . -B $(BUILD)/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEHU_WERROR=OFF >/dev/null
	@cmake --build $(BUILD)/release -j $(JOBS)

# The web UI (web/), built into web/dist, which `kehu serve` serves at /.
web: deps
	@if [ -f web/package.json ]; then (cd web && npm run --silent build); fi

run: build
	@if [ ! -f $(DEMO_DB) ]; then \
		KEHU_ADMIN_PASSWORD=$(DEMO_PASSWORD) $(BUILD)/release/kehu init --db $(DEMO_DB) && \
		$(BUILD)/release/kehu demo --db $(DEMO_DB) --customers $(DEMO_CUSTOMERS); \
	fi
	@echo
	@echo "  Kehu is at http://127.0.0.1:$(PORT)/"
	@echo "  Log in as admin with the password $(DEMO_PASSWORD) (set when $(DEMO_DB) was created)"
	@echo "  API: curl -X POST -H 'Content-Type: application/json' \\"
	@echo "         -d '{\"username\":\"admin\",\"password\":\"$(DEMO_PASSWORD)\"}' http://127.0.0.1:$(PORT)/api/v1/auth/login"
	@echo "  Stop with Ctrl-C."
	@echo
	@$(BUILD)/release/kehu serve --db $(DEMO_DB) --listen 127.0.0.1:$(PORT)

build-test: deps web
	@cmake -S . -B $(BUILD)/test -DCMAKE_BUILD_TYPE=Debug -DKEHU_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD)/test -j $(JOBS)

test: build-test
	@cd $(BUILD)/test && ctest --output-on-failure -j $(JOBS)

# The long reliability runs (tests/reliability/): 25 kills, 10 overload rounds
# and the fault tests on the sanitizer build, then a soak of SOAK_MINUTES at 70%
# of the capacity measured in the same run, on the release build.
SOAK_MINUTES ?= 10
soak: build-test
	@scripts/deps.sh bench
	@cmake -S . -B $(BUILD)/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD)/release -j $(JOBS) --target kehu
	@cd $(BUILD)/test && KEHU_RELIABILITY=long ctest -R '^reliability/' -V >reliability-long.log 2>&1; \
		status=$$?; grep -E '^[0-9]+: (# [A-Za-z/ ]+: |(not )?ok )' reliability-long.log | grep -v '# Subtest:'; \
		tail -3 reliability-long.log; exit $$status
	@tests/reliability/soak.sh --kehu $(BUILD)/release/kehu --minutes $(SOAK_MINUTES) --dir $(BUILD)/soak

clean:
	rm -rf $(BUILD)
