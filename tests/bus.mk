# SPDX-License-Identifier: GPL-2.0-or-later
# The address-range bus and its grace periods.
check_PROGRAMS += tests/test-bus
TESTS += tests/test-bus
tests_test_bus_SOURCES = tests/test-bus.c
tests_test_bus_CFLAGS = $(TEST_CFLAGS)
tests_test_bus_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/test-memory
TESTS += tests/test-memory
tests_test_memory_SOURCES = tests/test-memory.c
tests_test_memory_CFLAGS = $(TEST_CFLAGS)
tests_test_memory_LDADD = $(TEST_LIBS)
