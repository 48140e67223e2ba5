# SPDX-License-Identifier: GPL-2.0-or-later
# Plugin loader tests, with test plugins built as shared objects (never installed).
TEST_PLUGIN_COMPILE_FLAGS = $(PLUGIN_COMPILE_FLAGS)
TEST_PLUGIN_LINK_FLAGS = $(PLUGIN_LINK_FLAGS)
check_PROGRAMS += tests/plugins/good.so tests/plugins/wrong-major.so \
	tests/plugins/newer-minor.so tests/plugins/older-minor.so tests/plugins/no-entry.so \
	tests/plugins/dup-type.so tests/plugins/bad-default.so
tests_plugins_good_so_SOURCES = tests/plugins/good.c
tests_plugins_good_so_CFLAGS = $(TEST_PLUGIN_COMPILE_FLAGS)
tests_plugins_good_so_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
tests_plugins_wrong_major_so_SOURCES = tests/plugins/wrong-abi.c
tests_plugins_wrong_major_so_CFLAGS = $(TEST_PLUGIN_COMPILE_FLAGS) -DABI_MAJOR='(VMB_ABI_MAJOR + 1)' \
	-DABI_MINOR=0
tests_plugins_wrong_major_so_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
tests_plugins_newer_minor_so_SOURCES = tests/plugins/wrong-abi.c
tests_plugins_newer_minor_so_CFLAGS = $(TEST_PLUGIN_COMPILE_FLAGS) -DABI_MAJOR=VMB_ABI_MAJOR \
	-DABI_MINOR='(VMB_ABI_MINOR + 1)'
tests_plugins_newer_minor_so_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
tests_plugins_older_minor_so_SOURCES = tests/plugins/wrong-abi.c
tests_plugins_older_minor_so_CFLAGS = $(TEST_PLUGIN_COMPILE_FLAGS) -DABI_MAJOR=VMB_ABI_MAJOR \
	-DABI_MINOR=0
tests_plugins_older_minor_so_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
tests_plugins_no_entry_so_SOURCES = tests/plugins/no-entry.c
tests_plugins_no_entry_so_CFLAGS = $(TEST_PLUGIN_COMPILE_FLAGS)
tests_plugins_no_entry_so_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
tests_plugins_dup_type_so_SOURCES = tests/plugins/dup-type.c
tests_plugins_dup_type_so_CFLAGS = $(TEST_PLUGIN_COMPILE_FLAGS)
tests_plugins_dup_type_so_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
tests_plugins_bad_default_so_SOURCES = tests/plugins/bad-default.c
tests_plugins_bad_default_so_CFLAGS = $(TEST_PLUGIN_COMPILE_FLAGS)
tests_plugins_bad_default_so_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)

check_PROGRAMS += tests/test-plugin
TESTS += tests/test-plugin
tests_test_plugin_SOURCES = tests/test-plugin.c
tests_test_plugin_CFLAGS = $(TEST_CFLAGS)
tests_test_plugin_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/test-cli
TESTS += tests/test-cli
tests_test_cli_SOURCES = tests/test-cli.c
tests_test_cli_CFLAGS = $(TEST_CFLAGS)
tests_test_cli_LDADD = $(GLIB_LIBS) $(CHECK_LIBS)
