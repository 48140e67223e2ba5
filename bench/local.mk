# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmarks print figures next to a baseline measured in the same run; `make bench` runs them.
# Fragments add programs to EXTRA_PROGRAMS and their names to bench_programs, and a line to
# the bench target's recipe through bench_commands.
bench_programs =
include bench/bus.mk
include bench/exit.mk
include bench/virtio.mk

bench: vmboard $(plugin_PROGRAMS) $(bench_programs)
	@for b in $(bench_programs); do echo "== $$b"; ./$$b || exit 1; done
.PHONY: bench
