# SPDX-License-Identifier: GPL-2.0-or-later
plugin_PROGRAMS += plugins/uart-16550.so
plugins_uart_16550_so_SOURCES = plugins/uart-16550/uart.c
plugins_uart_16550_so_CFLAGS = $(PLUGIN_COMPILE_FLAGS)
plugins_uart_16550_so_LDFLAGS = $(PLUGIN_LINK_FLAGS)
