# SPDX-License-Identifier: GPL-2.0-or-later
# Debian's amd64 kernel under vmboard on a real x86 KVM, inside a QEMU-emulated outer VM
# (scripts/x86/nested-run). Needs network access to Debian's archive the first time (the
# kernel and busybox are cached in ~/.cache/vmboard or $VMBOARD_CACHE).
if ARCH_X86_64
TESTS += tests/linux-x86.sh
endif
EXTRA_DIST += tests/linux-x86.sh tests/linux-x86-init.sh tests/linux-x86-outer.sh \
	tests/boards/linux-x86.yaml
