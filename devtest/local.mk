# SPDX-License-Identifier: GPL-2.0-or-later
# The device test harness: vmboard-devtest (scripts) and libvmboard-devtest.a (the same harness
# as a C API, <vmboard/devtest.h>), both installed for plugin authors with vmboard-devtest.pc.
DEVTEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/devtest

noinst_LIBRARIES += devtest/libdevtest.a
devtest_libdevtest_a_SOURCES = devtest/harness.c devtest/script.c devtest/devtest-internal.h \
	devtest/vmboard/devtest.h
devtest_libdevtest_a_CPPFLAGS = $(DEVTEST_CPPFLAGS)
devtest_libdevtest_a_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(YAML_CFLAGS)

bin_PROGRAMS += vmboard-devtest
vmboard_devtest_SOURCES = devtest/main.c
vmboard_devtest_CPPFLAGS = $(DEVTEST_CPPFLAGS)
vmboard_devtest_LDADD = devtest/libdevtest.a $(VMCORE_LIBS)

vmboardinclude_HEADERS += devtest/vmboard/devtest.h

# The installed library is one relocatable object holding the harness and the core, with every
# symbol but the vmb_devtest_* API made local, so a test program linking it can name its own
# functions bus_read or board_load without clashing.
lib_LIBRARIES = devtest/libvmboard-devtest.a
devtest_libvmboard_devtest_a_SOURCES =
devtest_libvmboard_devtest_a_LIBADD = devtest/libvmboard-devtest.o
devtest_libvmboard_devtest_a_DEPENDENCIES = devtest/libvmboard-devtest.o
devtest/libvmboard-devtest.o: devtest/libdevtest.a core/libvmcore.a
	$(AM_V_GEN)$(CC) -nostdlib -r -o $@.tmp -Wl,--whole-archive devtest/libdevtest.a \
		core/libvmcore.a -Wl,--no-whole-archive && \
	$(OBJCOPY) --wildcard --keep-global-symbol='vmb_devtest_*' $@.tmp $@ && rm -f $@.tmp
CLEANFILES += devtest/libvmboard-devtest.o

# Libraries a program linking the static harness needs, as this build found them.
DEVTEST_LINK_LIBS = $(GLIB_LIBS) $(YAML_LIBS) $(LIBS) $(PTHREAD_LIBS) $(SANITIZER_LDFLAGS)
pkgconfig_DATA += devtest/vmboard-devtest.pc
devtest/vmboard-devtest.pc: $(srcdir)/devtest/vmboard-devtest.pc.in Makefile
	$(AM_V_GEN)$(MKDIR_P) devtest && sed \
		-e 's|@prefix[@]|$(value prefix)|g' -e 's|@exec_prefix[@]|$(value exec_prefix)|g' \
		-e 's|@libdir[@]|$(value libdir)|g' -e 's|@includedir[@]|$(value includedir)|g' \
		-e 's|@bindir[@]|$(value bindir)|g' -e 's|@VERSION[@]|$(VERSION)|g' \
		-e 's|@DEVTEST_LINK_LIBS[@]|$(DEVTEST_LINK_LIBS)|g' \
		$(srcdir)/devtest/vmboard-devtest.pc.in > $@.tmp && mv $@.tmp $@
CLEANFILES += devtest/vmboard-devtest.pc
EXTRA_DIST += devtest/vmboard-devtest.pc.in

# Test scripts (*.vdt in TESTS, see tests/sdk.mk) run through the vmboard-devtest just built.
TEST_EXTENSIONS = .vdt
VDT_LOG_COMPILER = $(abs_top_builddir)/vmboard-devtest
