# SPDX-License-Identifier: GPL-2.0-or-later
# The plugin SDK: devtest scripts for the shipped plugins, the harness's own suite (C API,
# script reports, ABI compatibility, crash reports), and the out-of-tree example built and
# booted against a staged `make install`.

# Each script is a test of its own, run by the vmboard-devtest just built (the .vdt extension
# is registered in devtest/local.mk: automake wants TEST_EXTENSIONS outside any condition).
devtest_scripts = tests/devtest/uart-16550.vdt tests/devtest/debug-exit.vdt \
	tests/devtest/fw-cfg.vdt
TESTS += $(devtest_scripts)
EXTRA_DIST += $(devtest_scripts) tests/devtest/fw-cfg-hello.txt

# Test plugins for the harness suite (never installed, never on the plugin path).
check_PROGRAMS += tests/devtest/probe.so tests/devtest/old-layout.so \
	tests/devtest/abi-major0.so tests/devtest/crash.so
tests_devtest_probe_so_SOURCES = tests/devtest/probe.c
tests_devtest_probe_so_CFLAGS = $(PLUGIN_COMPILE_FLAGS)
tests_devtest_probe_so_LDFLAGS = $(PLUGIN_LINK_FLAGS)
tests_devtest_old_layout_so_SOURCES = tests/devtest/old-layout.c
tests_devtest_old_layout_so_CFLAGS = $(PLUGIN_COMPILE_FLAGS)
tests_devtest_old_layout_so_LDFLAGS = $(PLUGIN_LINK_FLAGS)
tests_devtest_abi_major0_so_SOURCES = tests/devtest/abi-major0.c
tests_devtest_abi_major0_so_CFLAGS = $(PLUGIN_COMPILE_FLAGS)
tests_devtest_abi_major0_so_LDFLAGS = $(PLUGIN_LINK_FLAGS)
tests_devtest_crash_so_SOURCES = tests/devtest/crash.c
tests_devtest_crash_so_CFLAGS = $(PLUGIN_COMPILE_FLAGS)
tests_devtest_crash_so_LDFLAGS = $(PLUGIN_LINK_FLAGS)

# Linked against the installed form of the library, so its symbol hiding is tested too.
check_PROGRAMS += tests/test-devtest
TESTS += tests/test-devtest
tests_test_devtest_SOURCES = tests/test-devtest.c
tests_test_devtest_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/devtest
tests_test_devtest_CFLAGS = $(TEST_CFLAGS)
tests_test_devtest_LDADD = devtest/libvmboard-devtest.a $(GLIB_LIBS) $(YAML_LIBS) \
	$(CHECK_LIBS) $(PTHREAD_LIBS) $(LIBS)
tests_test_devtest_DEPENDENCIES = devtest/libvmboard-devtest.a vmboard-devtest vmboard \
	$(plugin_PROGRAMS)

# Install into a staging directory, build examples/out-of-tree there with pkg-config only,
# run its devtest scripts and boot its guest with the installed vmboard.
TESTS += tests/test-devtest-example.sh
EXTRA_DIST += tests/test-devtest-example.sh
