# SPDX-License-Identifier: GPL-2.0-or-later
# Userspace exit cost under vmboard next to a bare KVM_RUN loop, and start-to-exit time and
# peak RSS of the minimal guest (issue 2, parts 10b and 10c; issue 3, part 7 on arm64).
EXTRA_PROGRAMS += bench/bench-exit
bench_programs += bench/bench-exit
bench_bench_exit_SOURCES = bench/bench-exit.c
bench_bench_exit_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
bench_bench_exit_LDADD = $(GLIB_LIBS)
CLEANFILES += bench/bench-exit
# bench/arm64-exit.sh sources scripts/arm64/nested-lib.sh, distributed by tests/arm64.mk.
dist_noinst_SCRIPTS += bench/arm64-exit.sh

if ARCH_ARM64
# The ONE_REG ids of pc and x0 come from the backend's table, not typed again here; the
# guest is tests/guests/arm64/bench-exit.S (tests/arm64.mk).
bench_bench_exit_SOURCES += core/arch/arm64/regs.c core/arch/arm64/regs.h
bench_bench_exit_DEPENDENCIES = tests/guests/arm64/bench-exit.bin
endif

if ARCH_X86_64
# On an x86_64 host, the same benchmark inside the nested arm64 VM of the arm64 suite
# (bench/arm64-exit.sh): figures only; it says why and succeeds when the tools are missing.
# VMB_BENCH_ARM64=no leaves it out.
bench_programs += bench/arm64-exit
bench/arm64-exit: $(srcdir)/bench/arm64-exit.sh
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	printf '#!/bin/sh\nexec "%s" "%s" "$$@"\n' '$(abs_srcdir)/bench/arm64-exit.sh' \
		'$(abs_builddir)' >$@ && chmod +x $@
CLEANFILES += bench/arm64-exit
endif
