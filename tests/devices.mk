# SPDX-License-Identifier: GPL-2.0-or-later
# Device plugins (uart-16550, debug-exit, fw-cfg) and the console backends, driven through the
# real bus and host API on a VM without KVM. Needs the plugins built in $(builddir)/plugins.
check_PROGRAMS += tests/test-devices
TESTS += tests/test-devices
tests_test_devices_SOURCES = tests/test-devices.c tests/test-machine.c tests/test-machine.h
tests_test_devices_CFLAGS = $(TEST_CFLAGS)
tests_test_devices_LDADD = $(TEST_LIBS)
tests_test_devices_DEPENDENCIES = core/libvmcore.a $(plugin_PROGRAMS)
