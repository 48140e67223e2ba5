# SPDX-License-Identifier: GPL-2.0-or-later
# virtio: userspace exits per virtio-blk request under KVM with the fast paths on and off
# (tiny guest tests/guests/virtio-blk.S). Linux-guest throughput next to QEMU is
# bench/virtio-linux.sh, run where Linux guests run (see docs/devices.md).
EXTRA_PROGRAMS += bench/bench-virtio
bench_programs += bench/bench-virtio
bench_bench_virtio_SOURCES = bench/bench-virtio.c
bench_bench_virtio_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
bench_bench_virtio_LDADD = $(GLIB_LIBS)
CLEANFILES += bench/bench-virtio
dist_noinst_SCRIPTS += bench/virtio-linux.sh bench/virtio-linux-outer.sh \
	bench/virtio-linux-init.sh
if HAVE_CHECK
if ARCH_X86_64
bench_bench_virtio_DEPENDENCIES = tests/guests/virtio-blk.bin
endif
endif
