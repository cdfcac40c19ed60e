# vstress: GNU Makefile.
#   make                  core binary + every plugin under plugins/
#   make PLUGINS="db skeleton"   a subset of plugins
#   make check            build and run every test (installs missing packages)
#   make SAN=1 check      the same with ASan+UBSan (separate build dir)
#   make valgrind         the C suites under valgrind, children traced
#   make fuzz FUZZ_SECONDS=30   every fuzz target under libFuzzer (clang), docs/fuzzing.md
#   make demo             the full suite against the reference agent
#   make install PREFIX=/usr/local
#   make deps             install the Debian packages needed (idempotent)
#   WERROR=               build without -Werror (it is on by default, as in CI)

VERSION     := 0.1.0
PREFIX      ?= /usr/local
CC          ?= cc
SAN         ?=
WERROR      ?= -Werror

ifeq ($(SAN),1)
BUILD       ?= build-san
SANFLAGS    := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else ifeq ($(SAN),fuzz)
# The fuzz build (make fuzz): clang, ASan+UBSan, libFuzzer's coverage.
# -Werror stays with the gcc builds (clang's -Wformat=2 differs).
BUILD       ?= build-fuzz
CC          := clang
WERROR      :=
SANFLAGS    := -fsanitize=address,undefined,fuzzer-no-link -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD       ?= build
SANFLAGS    :=
endif

PKGS        := jansson inih libwebsockets libcurl openssl libxml-2.0
PKG_CFLAGS  := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN        := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
               -Wpointer-arith -Wwrite-strings -Wundef -Wvla -Wcast-qual -Wnull-dereference \
               -Werror=implicit-function-declaration $(WERROR)
CFLAGS      ?= -O2 -g
ALL_CFLAGS  := -std=c11 -D_GNU_SOURCE -DVS_VERSION=\"$(VERSION)\" -DVS_PREFIX=\"$(PREFIX)\" \
               -Iinclude -I. -Icore $(WARN) -fstack-protector-strong -MMD -MP $(SANFLAGS) $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS     += $(SANFLAGS)

# Core (the orchestrator): every core/*.c; main.c only in the binary, the
# rest also in a static library that the unit tests link.
CORE_SRCS   := $(sort $(wildcard core/*.c))
CORE_LIB_SRCS := $(filter-out core/main.c,$(CORE_SRCS))
CORE_LIB    := $(BUILD)/libvscore.a
# The world (world/): the stand-in server process, `vstress world`.
WORLD_SRCS  := $(sort $(wildcard world/*.c))
WORLD_LIB   := $(BUILD)/libvsworld.a
# lib/<topic>/: the shared libraries (audio, crypto, net, telnyx, caller,
# probe, standin, observe, callphase), position-independent, linked statically
# into the binary and into any plugin that wants them; public headers in
# include/vstress/<topic>/, unit tests in lib/<topic>/tests/.
UTIL_SRCS   := $(sort $(wildcard lib/*/*.c))
UTIL_LIB    := $(BUILD)/libvslib.a
# flite and its voices, in link order: what lib/audio's vs_synth needs; a
# plugin.mk that links the libraries names $(FLITE_LIBS), never the list.
FLITE_LIBS  := -lflite_cmu_us_slt -lflite_cmu_us_kal16 -lflite_cmu_us_kal -lflite_cmu_us_rms -lflite_cmu_us_awb \
               -lflite_usenglish -lflite_cmulex -lflite
UTIL_LIBS   := $(FLITE_LIBS)
BIN         := $(BUILD)/vstress

# Plugins: one folder each; every .c in the folder goes into <name>.so.
# A folder may hold plugin.mk setting LIBS_<name> (and CFLAGS_<name>).
ALL_PLUGINS := $(sort $(notdir $(patsubst %/,%,$(dir $(wildcard plugins/*/*.c)))))
PLUGINS     ?= $(ALL_PLUGINS)
-include $(wildcard plugins/*/plugin.mk)
PLUGIN_SOS  := $(patsubst %,$(BUILD)/plugins/%.so,$(PLUGINS))
PLUGIN_CFLAGS := -fPIC -fvisibility=hidden
PLUGIN_LDFLAGS := -shared -Wl,-z,defs -Wl,--as-needed
# libxml2 for lib/telnyx/texml.c (vs_tcall_run parses a TeXML webhook reply):
# every plugin that links the call path needs it; --as-needed drops it elsewhere.
PLUGIN_XML_LIBS := $(shell pkg-config --libs libxml-2.0 2>/dev/null)

# Test fixtures: hostile and friendly plugins, one .c each.
FIXTURE_SRCS := $(sort $(wildcard tests/fixtures/*.c))
FIXTURE_SOS := $(patsubst tests/fixtures/%.c,$(BUILD)/fixtures/%.so,$(FIXTURE_SRCS))

# Unit tests (cmocka): the core's in tests/unit/, the world's in world/tests/,
# each library's in lib/<topic>/tests/; each linked with the core, world and
# shared libraries and the fake host.
UNIT_SRCS   := $(sort $(wildcard tests/unit/test_*.c world/tests/test_*.c lib/*/tests/test_*.c))
UNIT_BINS   := $(patsubst %.c,$(BUILD)/tests/%,$(notdir $(UNIT_SRCS)))
FAKEHOST_SRCS := $(sort $(wildcard tests/fakehost/*.c))
FAKEHOST_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(FAKEHOST_SRCS))

# Plugin unit tests: plugins/<name>/tests/test_*.c, linked with the fake host;
# they dlopen the built plugin (VSTRESS_TEST_PLUGIN_DIR).
PTEST_SRCS  := $(sort $(wildcard $(patsubst %,plugins/%/tests/test_*.c,$(PLUGINS))))
PTEST_BINS  := $(foreach s,$(PTEST_SRCS),$(BUILD)/tests/$(word 2,$(subst /, ,$(s)))_$(basename $(notdir $(s))))

# The echo target: a tiny C agent with exactly known reply timing that the
# call-measurement proofs drive (tests/echo_target); the hostile agent
# misbehaves in one chosen way (tests/hostile_agent, tests/integration/test_hostile.sh).
ECHO_TARGET := $(BUILD)/tests/echo_target
HOSTILE_AGENT := $(BUILD)/tests/hostile_agent

# Fuzz targets: tests/fuzz/fuzz_NAME.c, each defining LLVMFuzzerTestOneInput.
# The normal build links each with replay_main.c into $(BUILD)/tests/fuzz_NAME,
# which make check runs over tests/fuzz/corpus/NAME/; `make fuzz` builds them
# with libFuzzer into build-fuzz/fuzz/ and runs them (scripts/fuzz.sh).
# FUZZ_EXTRA_NAME: more sources (a plugin's parser); FUZZ_CFLAGS_/FUZZ_LIBS_.
FUZZ_SRCS   := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES  := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZ_REPLAY := $(patsubst %,$(BUILD)/tests/fuzz_%,$(FUZZ_NAMES))
FUZZ_BINS   := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_NAMES))
FUZZ_EXTRA_schema := plugins/db/db_schema_file.c
FUZZ_CFLAGS_schema := -Iplugins/db $(CFLAGS_db)
FUZZ_LIBS_schema := $(LIBS_db)
FUZZ_EXTRA_telnyx_command := plugins/telnyx/tx_command.c
FUZZ_CFLAGS_telnyx_command := -Iplugins/telnyx
FUZZ_SECONDS ?= 30

BENCH_SRCS  := $(sort $(wildcard bench/*.c))
BENCH_BINS  := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
# bench/peers/: what make bench measures the call engine against (bench/README.md)
PEER_SRCS   := $(sort $(wildcard bench/peers/*.c))
PEER_BINS   := $(patsubst bench/peers/%.c,$(BUILD)/bench/peers/%,$(PEER_SRCS))

# Plugin sources are found per target (secondary expansion).
.SECONDEXPANSION:

.PHONY: all core plugins fixtures tests check check-c valgrind demo deps install clean bench bench-build bench-world bench-load world fuzz fuzz-build layout-objs

all: core plugins

core: $(BIN)
plugins: $(PLUGIN_SOS)
fixtures: $(FIXTURE_SOS)
tests: $(UNIT_BINS) $(PTEST_BINS) $(ECHO_TARGET) $(HOSTILE_AGENT) $(FUZZ_REPLAY) fixtures \
	$(BUILD)/bench/calls $(BUILD)/bench/peers/echo_srv $(BUILD)/bench/world
fuzz-build: $(FUZZ_BINS)
bench-build: $(BENCH_BINS) $(PEER_BINS) bench/peers/node_modules/ws/package.json
# Runs bench/calls, the Node peer and the epoll floor at 100, 1,000 and
# 2,000 calls, each pinned to one core, and prints one table (not in make check).
bench: bench-build
	@BUILD=$(BUILD) bench/run.sh
# The world under N calls' worth of STT and TTS streams (bench/README.md
# "make bench-world"), each STT mode, 100 and 1,000 calls; a few minutes.
bench-world: all $(BUILD)/bench/world
	@BUILD=$(BUILD) bench/world.sh
# The load phase at 1,000 concurrent calls against the echo target, every
# call's frames matched with what the target counted (bench/load.sh; ~25 s).
bench-load: all $(ECHO_TARGET)
	@BUILD=$(BUILD) bench/load.sh
# `ws` at the version pinned in bench/peers/package-lock.json
bench/peers/node_modules/ws/package.json: bench/peers/package.json bench/peers/package-lock.json
	cd bench/peers && npm ci --no-audit --no-fund

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# A plugin's sources as objects, one per file: only for scripts/check-layers.py
# (which file calls which inside a plugin); the .so is built from the sources.
LAYOUT_OBJS := $(patsubst %.c,$(BUILD)/layout/%.o,$(filter-out plugins/%/tests/%,$(wildcard plugins/*/*.c)))
layout-objs: $(LAYOUT_OBJS)
$(BUILD)/layout/plugins/%.o: plugins/%.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -O2,$(ALL_CFLAGS)) -O0 $(PLUGIN_CFLAGS) $(CFLAGS_$(firstword $(subst /, ,$*))) -c -o $@ $<

$(CORE_LIB): $(patsubst %.c,$(BUILD)/obj/%.o,$(CORE_LIB_SRCS))
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(UTIL_LIB): $(patsubst %.c,$(BUILD)/pic/%.o,$(UTIL_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(WORLD_LIB): $(patsubst %.c,$(BUILD)/obj/%.o,$(WORLD_SRCS))
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BIN): $(BUILD)/obj/core/main.o $(CORE_LIB) $(WORLD_LIB) $(UTIL_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(UTIL_LIBS) -ldl -lm -lpthread

# One pattern rule for every plugin (fio's engine template).
$(BUILD)/plugins/%.so: $$(wildcard plugins/%/*.c plugins/%/*.h) $(wildcard include/vstress/*.h include/vstress/*/*.h) $(UTIL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PLUGIN_CFLAGS) $(CFLAGS_$*) $(PLUGIN_LDFLAGS) $(LDFLAGS) -o $@ \
		$(filter %.c,$^) $(LIBS_$*) $(PLUGIN_XML_LIBS) -lm
	@# The sources are found by wildcard above; keep only headers in the
	@# generated dependencies, so a deleted or moved .c does not stop make.
	@sed -i -e 's/ [^ ]*\.c\b//g' $(@:.so=.d)

$(BUILD)/fixtures/%.so: tests/fixtures/%.c include/vstress/plugin.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PLUGIN_CFLAGS) $(PLUGIN_LDFLAGS) $(LDFLAGS) -o $@ $< -ljansson

define unit_rule
$(BUILD)/tests/$(basename $(notdir $(1))): $(1) $(CORE_LIB) $(WORLD_LIB) $(UTIL_LIB) $(FAKEHOST_OBJS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CFLAGS) $$(LDFLAGS) -o $$@ $$< $(FAKEHOST_OBJS) $(CORE_LIB) $(WORLD_LIB) $(UTIL_LIB) \
		$$(PKG_LIBS) $$(UTIL_LIBS) -lcmocka -ldl -lm -lpthread
endef
$(foreach s,$(UNIT_SRCS),$(eval $(call unit_rule,$(s))))

$(ECHO_TARGET): $(wildcard tests/echo_target/*.c) $(UTIL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(filter %.c,$^) $(UTIL_LIB) $(PKG_LIBS) $(UTIL_LIBS) -lm -lpthread

$(HOSTILE_AGENT): $(wildcard tests/hostile_agent/*.c tests/hostile_agent/*.h) $(UTIL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(filter %.c,$^) $(UTIL_LIB) $(PKG_LIBS) $(UTIL_LIBS) -lm -lpthread

$(BUILD)/tests/test_call_echo: $(ECHO_TARGET)
$(BUILD)/tests/test_callbatch: $(ECHO_TARGET)

$(BUILD)/tests/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c tests/fuzz/fuzz.h $$(FUZZ_EXTRA_$$*) \
		$(CORE_LIB) $(WORLD_LIB) $(UTIL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(ALL_CFLAGS)) $(FUZZ_CFLAGS_$*) $(LDFLAGS) -o $@ $< tests/fuzz/replay_main.c \
		$(FUZZ_EXTRA_$*) $(CORE_LIB) $(WORLD_LIB) $(UTIL_LIB) $(PKG_LIBS) $(FUZZ_LIBS_$*) $(UTIL_LIBS) -ldl -lm -lpthread

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $$(FUZZ_EXTRA_$$*) $(CORE_LIB) $(WORLD_LIB) $(UTIL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(ALL_CFLAGS)) $(FUZZ_CFLAGS_$*) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_EXTRA_$*) $(CORE_LIB) $(WORLD_LIB) $(UTIL_LIB) $(PKG_LIBS) $(FUZZ_LIBS_$*) $(UTIL_LIBS) -ldl -lm -lpthread

define ptest_rule
$(BUILD)/tests/$(word 2,$(subst /, ,$(1)))_$(basename $(notdir $(1))): $(1) $(FAKEHOST_OBJS) $(CORE_LIB) $(UTIL_LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CFLAGS) $$(CFLAGS_$(word 2,$(subst /, ,$(1)))) -Itests/fakehost -Itests/plugin-support $$(LDFLAGS) -o $$@ $$< \
		$(FAKEHOST_OBJS) $(CORE_LIB) $(UTIL_LIB) \
		$$(PKG_LIBS) $$(LIBS_$(word 2,$(subst /, ,$(1)))) $(UTIL_LIBS) -lcmocka -ldl -lm -lpthread
endef
$(foreach s,$(PTEST_SRCS),$(eval $(call ptest_rule,$(s))))

$(BUILD)/bench/peers/%: bench/peers/%.c $(CORE_LIB) $(UTIL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O2 $(LDFLAGS) -o $@ $< $(CORE_LIB) $(UTIL_LIB) $(PKG_LIBS) -lm -lpthread

$(BUILD)/bench/%: bench/%.c $(CORE_LIB) $(UTIL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O2 $(LDFLAGS) -o $@ $< $(CORE_LIB) $(UTIL_LIB) $(PKG_LIBS) $(UTIL_LIBS) -ldl -lm -lpthread

# --- running -------------------------------------------------------------
deps:
	@scripts/deps.sh

# Everything, as CI runs it: installs what is missing, then the C suites,
# the integration tests, the plugin tests and the reference agent's pytest.
check:
	@scripts/deps.sh --quiet
	@$(MAKE) --no-print-directory all tests
	@BUILD=$(BUILD) SAN=$(SAN) scripts/check.sh

# Only the C suites (unit, plugin and integration tests): for the sanitizer
# build, `make SAN=1 check-c`.
check-c:
	@$(MAKE) --no-print-directory all tests
	@BUILD=$(BUILD) SAN=$(SAN) scripts/check.sh --c-only

valgrind:
	@$(MAKE) --no-print-directory all tests
	@BUILD=$(BUILD) VALGRIND=1 scripts/check.sh --c-only

# Every fuzz target under libFuzzer for FUZZ_SECONDS each (clang from
# Debian, ASan+UBSan, build-fuzz/); a crash fails and names its reproducer.
fuzz:
	@scripts/deps.sh --quiet --no-venv
	@$(MAKE) --no-print-directory SAN=fuzz fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh $(FUZZ_NAMES)

demo:
	@scripts/deps.sh --quiet
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) scripts/demo.sh $(ARGS)

# The plugin ABI headers (vstress.pc), and for plugins built out of tree the
# shared libraries: their headers (include/vstress/<topic>/) and $(UTIL_LIB)
# as libvstress.a (PIC), linked by vstress-lib.pc with what it needs
# (--as-needed keeps only the libraries the plugin's objects use).  From a
# sanitizer build (make SAN=1 install) the archive holds instrumented
# objects, so vstress-lib.pc carries the sanitizer flags along.
TOPIC_DIRS  := $(sort $(notdir $(patsubst %/,%,$(dir $(wildcard include/vstress/*/*.h)))))
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/vstress/plugins \
		$(DESTDIR)$(PREFIX)/include/vstress $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/share/vstress/conf.d
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/vstress
	install -m 755 $(PLUGIN_SOS) $(DESTDIR)$(PREFIX)/lib/vstress/plugins/
	install -m 644 include/vstress/*.h $(DESTDIR)$(PREFIX)/include/vstress/
	for t in $(TOPIC_DIRS); do \
		install -d $(DESTDIR)$(PREFIX)/include/vstress/$$t && \
		install -m 644 include/vstress/$$t/*.h $(DESTDIR)$(PREFIX)/include/vstress/$$t/ || exit 1; \
	done
	install -m 644 $(UTIL_LIB) $(DESTDIR)$(PREFIX)/lib/libvstress.a
	install -m 644 conf.d/*.ini $(DESTDIR)$(PREFIX)/share/vstress/conf.d/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' scripts/vstress.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/vstress.pc
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' \
		-e 's|@LIBS@|$(filter -l%,$(PKG_LIBS)) $(UTIL_LIBS) -lm -lpthread|' -e 's|@SANFLAGS@|$(SANFLAGS)|g' \
		scripts/vstress-lib.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/vstress-lib.pc

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
