# SPDX-License-Identifier: GPL-2.0-or-later
# Board parser and validator: every diagnostic's exact text, overrides, defaults, paths.
check_PROGRAMS += tests/test-board
TESTS += tests/test-board
tests_test_board_SOURCES = tests/test-board.c
tests_test_board_CFLAGS = $(TEST_CFLAGS)
tests_test_board_LDADD = $(TEST_LIBS)
EXTRA_DIST += tests/boards
