# SPDX-License-Identifier: GPL-2.0-or-later
plugin_PROGRAMS += plugins/debug-exit.so
plugins_debug_exit_so_SOURCES = plugins/debug-exit/debug-exit.c
plugins_debug_exit_so_CFLAGS = $(PLUGIN_COMPILE_FLAGS)
plugins_debug_exit_so_LDFLAGS = $(PLUGIN_LINK_FLAGS)
