# SPDX-License-Identifier: GPL-2.0-or-later
# arm64 backend: built only on arm64 hosts (and cross builds for them).
if ARCH_ARM64
core_libvmcore_a_SOURCES += \
	core/arch/arm64/arm64.h \
	core/arch/arm64/arm64.c \
	core/arch/arm64/boot.c \
	core/arch/arm64/fdt.c \
	core/arch/arm64/gic.c \
	core/arch/arm64/regs.h \
	core/arch/arm64/regs.c
endif
