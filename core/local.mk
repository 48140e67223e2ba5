# SPDX-License-Identifier: GPL-2.0-or-later
# The emulator core, as a convenience library so unit tests link the same code as vmboard.
noinst_LIBRARIES += core/libvmcore.a
core_libvmcore_a_SOURCES = \
	core/arch/arch.h core/arch/arch.c \
	core/board.c core/board.h \
	core/bus.c core/bus.h \
	core/console.c core/console.h \
	core/device.c core/device.h \
	core/irq.c core/irq.h \
	core/loop.c core/loop.h \
	core/memory.c core/memory.h \
	core/plugin.c core/plugin.h \
	core/rcu.c core/rcu.h \
	core/util.c core/util.h \
	core/vcpu.c core/vcpu.h \
	core/vm.c core/vm.h
core_libvmcore_a_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(YAML_CFLAGS)
# x86_64 ACPI tables need no KVM: built on every host so `vmboard dump acpi` works anywhere.
core_libvmcore_a_SOURCES += core/aml.c core/aml.h core/arch/x86/acpi.c core/arch/x86/acpi.h

# What every program linking the core needs; backends may append their libraries.
VMCORE_LIBS = core/libvmcore.a $(GLIB_LIBS) $(YAML_LIBS) $(PTHREAD_LIBS) $(LIBS)

include core/arch/x86/local.mk
include core/arch/arm64/local.mk

bin_PROGRAMS += vmboard
vmboard_SOURCES = core/main.c
vmboard_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
vmboard_LDADD = $(VMCORE_LIBS)
