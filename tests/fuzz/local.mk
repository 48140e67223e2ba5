# SPDX-License-Identifier: GPL-2.0-or-later
# The virtqueue parser's fuzz target. Always: built with the project's compiler into a
# deterministic replay program that runs generated hostile rings in `make check`. With
# --enable-fuzzing: also built with clang and libFuzzer, and fuzzed briefly (a fixed number of
# runs from a generated seed corpus) in `make check`.
fuzz_virtqueue_sources = tests/fuzz/virtqueue-fuzz.c tests/fuzz/virtqueue-fuzz.h \
	plugins/virtio-mmio/virtqueue.c plugins/virtio-mmio/virtqueue.h
FUZZ_CPPFLAGS = -I$(top_srcdir)/plugins/virtio-mmio -I$(top_srcdir)/tests/fuzz

check_PROGRAMS += tests/fuzz/replay-virtqueue
TESTS += tests/fuzz/replay-virtqueue
tests_fuzz_replay_virtqueue_SOURCES = tests/fuzz/replay.c $(fuzz_virtqueue_sources)
tests_fuzz_replay_virtqueue_CPPFLAGS = $(AM_CPPFLAGS) $(FUZZ_CPPFLAGS)

if ENABLE_FUZZING
check_DATA += tests/fuzz/fuzz-virtqueue$(EXEEXT)
CLEANFILES += tests/fuzz/fuzz-virtqueue$(EXEEXT)
tests/fuzz/fuzz-virtqueue$(EXEEXT): tests/fuzz/virtqueue-fuzz.c plugins/virtio-mmio/virtqueue.c \
		tests/fuzz/virtqueue-fuzz.h plugins/virtio-mmio/virtqueue.h
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CCLD)$(FUZZ_CC) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined $(FUZZ_CPPFLAGS) -o $@ \
		$(top_srcdir)/tests/fuzz/virtqueue-fuzz.c $(top_srcdir)/plugins/virtio-mmio/virtqueue.c
TESTS += tests/fuzz/run-fuzz.sh
endif
dist_noinst_SCRIPTS += tests/fuzz/run-fuzz.sh
