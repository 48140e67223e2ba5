# SPDX-License-Identifier: GPL-2.0-or-later
plugin_PROGRAMS += plugins/rtc-cmos.so
plugins_rtc_cmos_so_SOURCES = plugins/rtc-cmos/rtc-cmos.c
plugins_rtc_cmos_so_CFLAGS = $(PLUGIN_COMPILE_FLAGS)
plugins_rtc_cmos_so_LDFLAGS = $(PLUGIN_LINK_FLAGS)
