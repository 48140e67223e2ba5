# SPDX-License-Identifier: GPL-2.0-or-later
plugin_PROGRAMS += plugins/pl011.so
plugins_pl011_so_SOURCES = plugins/pl011/pl011.c
plugins_pl011_so_CFLAGS = $(PLUGIN_COMPILE_FLAGS)
plugins_pl011_so_LDFLAGS = $(PLUGIN_LINK_FLAGS)
