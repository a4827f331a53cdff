# Builds the libFuzzer targets with clang; used by tests/fuzz/run.sh, which
# runs it from the repository root:
#   make -f tests/fuzz/build.mk [FUZZ=build/fuzz]
# The library sources (as the main Makefile finds them) are compiled with
# coverage instrumentation, ASan and UBSan into $(FUZZ)/libae.a, without
# warnings (the gcc build with WERROR=1 is the judge of those); each
# tests/fuzz/fuzz_<target>.c becomes $(FUZZ)/fuzz_<target>, linked with
# libFuzzer's main and only the library objects it needs.

CC := clang
FUZZ ?= build/fuzz
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wwrite-strings -Wundef
CFLAGS := -std=c11 -g -O1 $(SAN) $(WARN) -pthread -MMD -MP
CPPFLAGS := -D_GNU_SOURCE -I. -Ibuild/gen -DAE_VERSION='"fuzz"' \
	-DAE_REVISION='"fuzz"'
LDLIBS := -lmicrohttpd -lgnutls -laudit -lmnl -lz -lcap-ng -lcrypt -lyaml -lm

LIB_SRCS := $(filter-out exporter/main.c, \
	$(sort $(wildcard netlink/*.c metrics/*.c exporter/*.c exporter/*/*.c)))
LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ)/%.o)
TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
BINS := $(TARGETS:%=$(FUZZ)/fuzz_%)

.PHONY: all
all: $(BINS)

$(FUZZ)/%.o: %.c
	@mkdir -p $(dir $@)
	@printf '  %-6s %s\n' CLANG $<
	@$(CC) $(CPPFLAGS) $(CFLAGS) -w -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ)/libae.a: $(LIB_OBJS)
	@rm -f $@
	@ar rcs $@ $^

$(FUZZ)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_check.h $(FUZZ)/libae.a
	@mkdir -p $(dir $@)
	@printf '  %-6s %s\n' FUZZ $<
	@$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ)/libae.a $(LDLIBS)

-include $(shell find $(FUZZ) -name '*.d' 2>/dev/null)
