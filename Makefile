# audit_exporter: Linux kernel audit events as Prometheus metrics.
#
#   make            build ./audit_exporter (installs missing build packages first)
#   make run        build and run as the audit daemon on the bundled default rules
#   make test       the whole suite: unit, golden replay, fuzz smoke, kernel
#                   integration (installs missing test packages first)
#   make check      the part of the suite that needs no kernel and no root
#   make golden-update  regenerate tests/golden/*.prom, *.om from the fixture
#   make tools      the test tools (tests/tools/) and the 32-bit workload
#   make bench      speed and memory side by side with peers (docs/BENCHMARKS.md)
#   make fuzz       run every libFuzzer target for FUZZ_SECONDS each
#   make format / make lint
#   make install [PREFIX=/usr/local DESTDIR=]   make deb
#   SANITIZE=address,undefined or SANITIZE=thread builds into build/<sanitizers>/
#
# Modules are discovered: every netlink/*.c, metrics/*.c and exporter/*.c but
# exporter/main.c goes into the library that the binary, the unit tests
# (tests/unit/test_*.c, one cmocka binary each) and the tools link against.

VERSION := 0.1.0
REVISION := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

CC := gcc
SANITIZE ?=
comma := ,
VARIANT := $(if $(SANITIZE),$(subst $(comma),-,$(SANITIZE)),release)
BUILD := build/$(VARIANT)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wwrite-strings -Wundef
ifeq ($(WERROR),1)
WARN += -Werror
endif
OPT ?= -O2 -g
SAN_FLAGS := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
	-fno-sanitize-recover=all)
ALL_CFLAGS = -std=c11 $(WARN) $(OPT) $(SAN_FLAGS) -pthread -MMD -MP $(CFLAGS)
ALL_CPPFLAGS = -D_GNU_SOURCE -I. -Ibuild/gen -DAE_VERSION='"$(VERSION)"' \
	-DAE_REVISION='"$(REVISION)"' $(CPPFLAGS)
LDLIBS := -lmicrohttpd -lgnutls -laudit -lmnl -lz -lcap-ng -lcrypt -lyaml -lm
ALL_LDFLAGS = $(SAN_FLAGS) -pthread $(LDFLAGS)

LIB_SRCS := $(filter-out exporter/main.c, \
	$(sort $(wildcard netlink/*.c metrics/*.c exporter/*.c exporter/*/*.c)))
GEN_SRCS := build/gen/default_rules.c
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/gen/default_rules.o
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
TOOL_SRCS := $(sort $(wildcard tests/tools/*.c))
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tools/%)
BIN := $(BUILD)/audit_exporter

# What is missing of packaging/deps.sh's lists is installed once: the build
# packages before anything is compiled, the test packages before a test,
# tool or other tool-using target.
BUILD_DEPS := build/.deps-build-ok
TEST_DEPS := build/.deps-all-ok

# Short lines by default; V=1 shows the commands.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
endif

.PHONY: all deps run test check unit golden golden-update integration \
	fuzz fuzz-smoke bench format lint clean install deb tools check-format
.DEFAULT_GOAL := all

all: $(BUILD_DEPS) $(BIN) audit_exporter

# The root binary is always the release build; sanitizer builds stay in
# build/<variant>/ (make SANITIZE=... builds build/<variant>/audit_exporter)
# and the tests pick them through AE_BIN.
ifeq ($(SANITIZE),)
audit_exporter: $(BIN)
	$(Q)cp $< $@.tmp && mv -f $@.tmp $@ # a running copy is not disturbed
else
audit_exporter:
	@true
endif

tools: $(TOOL_BINS) $(BUILD)/tools/workload32

# Installs what is missing (Debian packages), once; see packaging/deps.sh.
$(BUILD_DEPS): packaging/deps.sh
	@packaging/deps.sh check build || packaging/deps.sh install build
	@mkdir -p build && touch $@

$(TEST_DEPS): packaging/deps.sh
	@packaging/deps.sh check || packaging/deps.sh install
	@mkdir -p build && touch $@

deps:
	packaging/deps.sh install
	@mkdir -p build && touch $(BUILD_DEPS) $(TEST_DEPS)

$(BIN): $(BUILD)/exporter/main.o $(LIB_OBJS)
	$(call say,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c | $(BUILD_DEPS)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# The bundled default rules are compiled in, so a bare ./audit_exporter
# needs no file beside it.
build/gen/default_rules.c: packaging/audit_exporter.rules packaging/embed.sh
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)
	$(Q)packaging/embed.sh default_rules_text $< > $@

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB_OBJS) | $(TEST_DEPS)
	@mkdir -p $(dir $@)
	$(call say,TEST,$<)
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes -o $@ $< \
		$(LIB_OBJS) $(ALL_LDFLAGS) $(LDLIBS) -lcmocka

# test_nl and test_kaudit script the kernel's side of the audit socket
# (see the tests)
$(BUILD)/tests/unit/test_nl $(BUILD)/tests/unit/test_kaudit: ALL_LDFLAGS += \
	-Wl,--wrap=mnl_socket_sendto,--wrap=poll,--wrap=recv,--wrap=recvmmsg
# test_kaudit also sees sockets closed (a daemon's socket gone)
$(BUILD)/tests/unit/test_kaudit: ALL_LDFLAGS += -Wl,--wrap=mnl_socket_close

# test_torture refuses each allocation the project's code makes, in turn
$(BUILD)/tests/unit/test_torture: ALL_LDFLAGS += -Wl,--wrap=malloc,--wrap=calloc \
	-Wl,--wrap=realloc,--wrap=free,--wrap=strdup,--wrap=strndup \
	-Wl,--wrap=asprintf
$(BUILD)/tests/unit/test_torture: ALL_CPPFLAGS += \
	-DAE_FIXTURES='"$(CURDIR)/tests/fixtures"'

$(BUILD)/tools/%: tests/tools/%.c $(LIB_OBJS) | $(TEST_DEPS)
	@mkdir -p $(dir $@)
	$(call say,TOOL,$<)
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(LIB_OBJS) \
		$(ALL_LDFLAGS) $(LDLIBS) $(TOOL_LDLIBS_$*)

TOOL_LDLIBS_auparse_peer := -lauparse

# The same workload as a 32-bit (i386) program, for the i386 syscall table
# and socketcall(2). Needs gcc-multilib (a test package).
$(BUILD)/tools/workload32: tests/tools/workload.c | $(TEST_DEPS)
	@mkdir -p $(dir $@)
	$(call say,CC32,$<)
	$(Q)$(CC) -m32 -std=c11 -D_GNU_SOURCE -O2 $(WARN) -o $@ $<

run: all
	./audit_exporter

# --- tests -----------------------------------------------------------------
# Kernel tests change global audit state, so they run one at a time (the
# scripts also take a lock) and restore it on every exit path.
export AE_BIN := $(abspath $(if $(SANITIZE),$(BIN),audit_exporter))
export AE_TOOLS := $(abspath $(BUILD)/tools)
export AE_BUILD := $(abspath $(BUILD))

test: $(TEST_DEPS) all $(BIN) $(UNIT_BINS) tools
	tests/run.sh all

# No kernel, no root: unit, promtool rules, golden, and the integration
# scripts that neither take the kernel lock nor need root (tests/run.sh).
check: $(TEST_DEPS) all $(BIN) $(UNIT_BINS) tools
	tests/run.sh check

unit: $(UNIT_BINS)
	tests/run.sh unit

golden: $(TEST_DEPS) all $(BIN) tools
	tests/run.sh golden

# The golden expositions from the fixture log, without a live capture
# (tests/golden/update.sh); on an unchanged exporter they stay identical.
golden-update: $(TEST_DEPS) all $(BIN)
	tests/golden/update.sh

integration: $(TEST_DEPS) all $(BIN) tools
	tests/run.sh integration

bench: $(TEST_DEPS) all $(BIN) tools
	tests/bench/run.sh

FUZZ_SECONDS ?= 60
fuzz: $(TEST_DEPS) all
	tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-smoke: $(TEST_DEPS) all
	tests/fuzz/run.sh 10

# --- style -----------------------------------------------------------------
C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

format:
	clang-format -i $(C_FILES)

check-format:
	clang-format --dry-run --Werror $(C_FILES)

lint: check-format
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr --suppress=missingIncludeSystem --std=c11 \
		-D_GNU_SOURCE -I. $(LIB_SRCS) exporter/main.c

# --- packaging -------------------------------------------------------------
PREFIX ?= /usr/local
DESTDIR ?=
install: all
	packaging/install.sh "$(DESTDIR)" "$(PREFIX)" "$(VERSION)"

deb: $(TEST_DEPS) all
	packaging/deb.sh "$(VERSION)"

clean:
	rm -rf build/release build/address* build/thread* build/undefined* \
		build/gen build/fuzz audit_exporter

-include $(shell find build -name '*.d' -type f 2>/dev/null)
