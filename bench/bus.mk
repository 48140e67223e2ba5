# SPDX-License-Identifier: GPL-2.0-or-later
# Bus lookup cost against a sorted-array binary search, measured in the same run.
EXTRA_PROGRAMS += bench/bench-bus
bench_programs += bench/bench-bus
bench_bench_bus_SOURCES = bench/bench-bus.c
bench_bench_bus_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
bench_bench_bus_LDADD = $(VMCORE_LIBS)
CLEANFILES += bench/bench-bus
