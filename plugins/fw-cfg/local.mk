# SPDX-License-Identifier: GPL-2.0-or-later
plugin_PROGRAMS += plugins/fw-cfg.so
plugins_fw_cfg_so_SOURCES = plugins/fw-cfg/fw-cfg.c
plugins_fw_cfg_so_CFLAGS = $(PLUGIN_COMPILE_FLAGS)
plugins_fw_cfg_so_LDFLAGS = $(PLUGIN_LINK_FLAGS)
