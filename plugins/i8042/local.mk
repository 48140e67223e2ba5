# SPDX-License-Identifier: GPL-2.0-or-later
plugin_PROGRAMS += plugins/i8042.so
plugins_i8042_so_SOURCES = plugins/i8042/i8042.c
plugins_i8042_so_CFLAGS = $(PLUGIN_COMPILE_FLAGS)
plugins_i8042_so_LDFLAGS = $(PLUGIN_LINK_FLAGS)
