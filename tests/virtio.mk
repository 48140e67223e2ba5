# SPDX-License-Identifier: GPL-2.0-or-later
# The virtio-mmio plugin:
#  - test-virtio: a test "guest" (tests/virtio-guest.c) on a VM without KVM
#    (tests/test-machine.c) drives the transport, the eventfd fast paths, virtio-blk,
#    -console, -rng and hostile drivers;
#  - test-virtio-net: virtio-net over a TAP in a private network namespace (needs root and
#    /dev/net/tun; skips otherwise unless CI=true);
#  - test-virtio-kvm: a tiny long-mode driver on real KVM (x86_64);
#  - virtio-linux.sh: Debian's kernel with every device, on the nested x86 KVM;
#  - tests/fuzz: the virtqueue parser's fuzz target, replayed always, fuzzed with
#    --enable-fuzzing.
check_PROGRAMS += tests/test-virtio tests/test-virtio-net
TESTS += tests/test-virtio tests/test-virtio-net
tests_test_virtio_SOURCES = tests/test-virtio.c tests/virtio-guest.c tests/virtio-guest.h \
	tests/test-machine.c tests/test-machine.h
tests_test_virtio_CFLAGS = $(TEST_CFLAGS)
tests_test_virtio_LDADD = $(TEST_LIBS)
tests_test_virtio_DEPENDENCIES = core/libvmcore.a $(plugin_PROGRAMS)
tests_test_virtio_net_SOURCES = tests/test-virtio-net.c tests/virtio-guest.c tests/virtio-guest.h \
	tests/test-machine.c tests/test-machine.h
tests_test_virtio_net_CFLAGS = $(TEST_CFLAGS)
tests_test_virtio_net_LDADD = $(TEST_LIBS)
tests_test_virtio_net_DEPENDENCIES = core/libvmcore.a $(plugin_PROGRAMS)

# virtio-blk under real KVM with a tiny long-mode driver (tests/guests/virtio-blk.S), built
# with the rules and flags of tests/guests.mk.
if ARCH_X86_64
check_PROGRAMS += tests/test-virtio-kvm
TESTS += tests/test-virtio-kvm
tests_test_virtio_kvm_SOURCES = tests/test-virtio-kvm.c
tests_test_virtio_kvm_CFLAGS = $(TEST_CFLAGS)
tests_test_virtio_kvm_LDADD = $(CHECK_LIBS) $(GLIB_LIBS)
tests_test_virtio_kvm_DEPENDENCIES = vmboard $(plugin_PROGRAMS) tests/guests/virtio-blk.bin
check_DATA += tests/guests/virtio-blk.bin
CLEANFILES += tests/guests/virtio-blk.bin
# Debian's amd64 kernel with every virtio device, on the real x86 KVM inside the outer VM of
# scripts/x86/nested-run (ACPI discovery, ext4, SIGKILL after sync, ping, hwrng, hvc0).
TESTS += tests/virtio-linux.sh
tests/guests/virtio-blk.bin: tests/guests/virtio-blk.o tests/guests/long.ld
	$(AM_V_GUEST)$(CC) $(GUEST_LINK_FLAGS) -Wl,-T,$(srcdir)/tests/guests/long.ld \
		-o $@.elf64 $< && $(OBJCOPY) -O binary $@.elf64 $@ && rm -f $@.elf64
endif
EXTRA_DIST += tests/guests/virtio-blk.S tests/virtio-linux.sh tests/virtio-linux-init.sh \
	tests/virtio-linux-outer.sh

include tests/fuzz/local.mk
