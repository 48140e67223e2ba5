# SPDX-License-Identifier: GPL-2.0-or-later
# Userspace exit cost under vmboard next to a bare KVM_RUN loop, and start-to-exit time and
# peak RSS of the minimal guest (issue 2, parts 10b and 10c).
EXTRA_PROGRAMS += bench/bench-exit
bench_programs += bench/bench-exit
bench_bench_exit_SOURCES = bench/bench-exit.c
bench_bench_exit_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
bench_bench_exit_LDADD = $(GLIB_LIBS)
CLEANFILES += bench/bench-exit
