# SPDX-License-Identifier: GPL-2.0-or-later
plugin_PROGRAMS += plugins/gic.so
plugins_gic_so_SOURCES = plugins/gic/gic.c
plugins_gic_so_CFLAGS = $(PLUGIN_COMPILE_FLAGS)
plugins_gic_so_LDFLAGS = $(PLUGIN_LINK_FLAGS)
