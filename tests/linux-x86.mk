# SPDX-License-Identifier: GPL-2.0-or-later
# Debian's amd64 kernel under vmboard on a real x86 KVM, inside a QEMU-emulated outer VM
# (scripts/x86/nested-run). Needs network access to Debian's archive the first time (the
# kernel and busybox are cached in ~/.cache/vmboard or $VMBOARD_CACHE).
#
# kvm-nested.sh runs the programs that need /dev/kvm (test-memory, test-guests,
# test-virtio-kvm) in the same outer VM when this host has no usable /dev/kvm.
if ARCH_X86_64
TESTS += tests/linux-x86.sh tests/kvm-nested.sh
endif
EXTRA_DIST += tests/linux-x86.sh tests/linux-x86-init.sh tests/linux-x86-outer.sh \
	tests/boards/linux-x86.yaml tests/kvm-nested.sh
