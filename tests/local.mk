# SPDX-License-Identifier: GPL-2.0-or-later
# Unit suites (check) and real-KVM guest tests. Each area keeps its own fragment.
TEST_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(YAML_CFLAGS) $(CHECK_CFLAGS)
TEST_LIBS = $(VMCORE_LIBS) $(CHECK_LIBS)
AM_TESTS_ENVIRONMENT = \
	VMBOARD='$(abs_top_builddir)/vmboard'; export VMBOARD; \
	VMBOARD_PLUGIN_PATH='$(abs_top_builddir)/plugins'; export VMBOARD_PLUGIN_PATH; \
	VMB_TEST_SRCDIR='$(abs_top_srcdir)/tests'; export VMB_TEST_SRCDIR; \
	VMB_TEST_BUILDDIR='$(abs_top_builddir)/tests'; export VMB_TEST_BUILDDIR; \
	CK_DEFAULT_TIMEOUT=120; export CK_DEFAULT_TIMEOUT;

# The x86 assembly guests: the demo guest is built with `all` (boards/x86_64-hello.yaml
# boots it), the others for make check.
if ARCH_X86_64
include tests/guests.mk
endif

if HAVE_CHECK
include tests/bus.mk
include tests/board.mk
include tests/plugin.mk
include tests/devices.mk
include tests/acpi.mk
include tests/arm64.mk
include tests/linux-x86.mk
include tests/sdk.mk
include tests/virtio.mk
endif
