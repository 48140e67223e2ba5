# SPDX-License-Identifier: GPL-2.0-or-later
# Each plugin directory has a local.mk adding plugins/NAME.so to plugin_PROGRAMS.
include plugins/uart-16550/local.mk
include plugins/debug-exit/local.mk
include plugins/fw-cfg/local.mk
include plugins/pl011/local.mk
include plugins/gic/local.mk
include plugins/virtio-mmio/local.mk
include plugins/i8042/local.mk
include plugins/rtc-cmos/local.mk
include plugins/acpi-power/local.mk
