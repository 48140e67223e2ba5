# SPDX-License-Identifier: GPL-2.0-or-later
# x86_64 backend: built only on x86_64 hosts.
if ARCH_X86_64
core_libvmcore_a_SOURCES += \
	core/arch/x86/x86.h \
	core/arch/x86/cpu-features.h \
	core/arch/x86/x86.c \
	core/arch/x86/cpu.c \
	core/arch/x86/flat.c \
	core/arch/x86/linux.c \
	core/arch/x86/bzimage.c \
	core/arch/x86/pvh.c \
	core/arch/x86/multiboot.c
endif
