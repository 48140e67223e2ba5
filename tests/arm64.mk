# SPDX-License-Identifier: GPL-2.0-or-later
# The arm64 suite (docs/arm64.md, "Tests"):
#  - on an arm64 host: the ONE_REG id test, and the arm64 guests and Linux boots run by
#    tests/arm64/inside.sh;
#  - on an x86_64 host: the ONE_REG id test against the arm64 uapi headers, and
#    tests/arm64/nested.sh, which cross-builds vmboard for arm64, boots an arm64 VM with KVM
#    under qemu-system-aarch64 and runs tests/arm64/inside.sh there (with the steps it
#    shares with bench/arm64-exit.sh in scripts/arm64/nested-lib.sh).

arm64_guest_sources = tests/guests/arm64/hello.S tests/guests/arm64/unclaimed.S \
	tests/guests/arm64/smp.S tests/guests/arm64/reset.S tests/guests/arm64/exit.S \
	tests/guests/arm64/nisv.S
arm64_guest_images = $(arm64_guest_sources:.S=.bin)
# The guest of bench/bench-exit on arm64 (bench/exit.mk).
arm64_bench_guest = tests/guests/arm64/bench-exit.bin
EXTRA_DIST += $(arm64_guest_sources) tests/guests/arm64/bench-exit.S tests/guests/arm64/lib.S \
	tests/guests/arm64/defs.h tests/arm64/nested.sh tests/arm64/linux-virtio.yaml \
	tests/arm64/inside.sh tests/arm64/guest.yaml tests/arm64/linux-16550.yaml \
	tests/arm64/test-arm64-regs.c \
	scripts/arm64/install-deps scripts/arm64/fetch-kernel scripts/arm64/make-initramfs \
	scripts/arm64/nested-lib.sh

# Linked at the start of arm64-virt RAM, where vmboard puts a flat image.
ARM64_GUEST_FLAGS = -nostdlib -nostartfiles -static -no-pie -Wl,--build-id=none \
	-Wl,-Ttext=0x40000000 -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments

tests/guests/arm64/%.bin: tests/guests/arm64/%.S tests/guests/arm64/lib.S tests/guests/arm64/defs.h
	$(AM_V_GUEST)$(MKDIR_P) $(@D) && $(CC) -nostdinc -fno-pic $(ARM64_GUEST_FLAGS) \
		-o $@.elf $< && $(OBJCOPY) -O binary $@.elf $@ && rm -f $@.elf
CLEANFILES += $(arm64_guest_images) $(arm64_bench_guest)

# The PL011 model through the host API on a VM without KVM: runs on every host.
check_PROGRAMS += tests/test-pl011
TESTS += tests/test-pl011
tests_test_pl011_SOURCES = tests/arm64/test-pl011.c
tests_test_pl011_CFLAGS = $(TEST_CFLAGS)
tests_test_pl011_LDADD = $(TEST_LIBS)
tests_test_pl011_DEPENDENCIES = core/libvmcore.a plugins/pl011.so

tests_test_arm64_regs_SOURCES = tests/arm64/test-arm64-regs.c core/arch/arm64/regs.c \
	core/arch/arm64/regs.h
tests_test_arm64_regs_CPPFLAGS = $(ARM64_UAPI_CPPFLAGS) $(AM_CPPFLAGS)
tests_test_arm64_regs_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
ARM64_UAPI_CPPFLAGS =
tests_test_arm64_regs_LDADD = $(CHECK_LIBS)

if ARCH_ARM64
check_PROGRAMS += tests/test-arm64-regs
TESTS += tests/test-arm64-regs
check_DATA += $(arm64_guest_images)
# Everything tests/arm64/inside.sh needs, for the nested run to build in a cross tree, and
# the exit-cost benchmark bench/arm64-exit.sh carries into the same VM.
arm64-test-files: vmboard $(plugin_PROGRAMS) $(arm64_guest_images) tests/test-arm64-regs \
	bench/bench-exit $(arm64_bench_guest)
endif

if ARCH_X86_64
if HAVE_ARM64_UAPI
check_PROGRAMS += tests/test-arm64-regs
TESTS += tests/test-arm64-regs
# The arm64 <linux/kvm.h>, <asm/...> in front of the host's, without the rest of the arm64
# sysroot (its libc headers would not suit the host compiler).
ARM64_UAPI_CPPFLAGS += -Itests/arm64-uapi
$(tests_test_arm64_regs_OBJECTS): tests/arm64-uapi/.stamp
tests/arm64-uapi/.stamp:
	$(AM_V_GEN)$(MKDIR_P) tests/arm64-uapi && \
	for dir in linux asm asm-generic; do \
		ln -sfn '$(ARM64_UAPI_INCLUDE)'/$$dir tests/arm64-uapi/$$dir || exit 1; \
	done && touch $@
CLEANFILES += tests/arm64-uapi/linux tests/arm64-uapi/asm tests/arm64-uapi/asm-generic \
	tests/arm64-uapi/.stamp
endif
TESTS += tests/arm64/nested.sh
endif
