# SPDX-License-Identifier: GPL-2.0-or-later
plugin_PROGRAMS += plugins/acpi-power.so
plugins_acpi_power_so_SOURCES = plugins/acpi-power/acpi-power.c
plugins_acpi_power_so_CFLAGS = $(PLUGIN_COMPILE_FLAGS)
plugins_acpi_power_so_LDFLAGS = $(PLUGIN_LINK_FLAGS)
