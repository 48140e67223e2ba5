# SPDX-License-Identifier: GPL-2.0-or-later
# x86_64 firmware view: the AML encoder, the ACPI tables boards produce, `vmboard dump acpi`
# read back by iasl (acpica-tools), and the platform plugins behind the tables (acpi-power,
# i8042, rtc-cmos) through the real host API. Needs the plugins and vmboard built.
check_PROGRAMS += tests/test-acpi
TESTS += tests/test-acpi
tests_test_acpi_SOURCES = tests/test-acpi.c tests/test-machine.c tests/test-machine.h
tests_test_acpi_CFLAGS = $(TEST_CFLAGS)
tests_test_acpi_LDADD = $(TEST_LIBS)
tests_test_acpi_DEPENDENCIES = core/libvmcore.a $(plugin_PROGRAMS) vmboard$(EXEEXT)
