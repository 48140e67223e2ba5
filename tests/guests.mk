# SPDX-License-Identifier: GPL-2.0-or-later
# Tiny assembly guests run on real KVM by tests/test-guests, and their test boards.
# Guests are assembled with the C compiler's driver but never with the project's CFLAGS
# (sanitizers, -O, warnings mean nothing to them) and linked without any library.

GUEST_ASSEMBLE_FLAGS = -nostdinc -I$(srcdir)/tests/guests -fno-pic -fno-asynchronous-unwind-tables
GUEST_LINK_FLAGS = -nostdlib -nostartfiles -static -no-pie -Wl,--build-id=none \
	-Wl,-z,noexecstack -Wl,-z,norelro -Wl,--no-warn-rwx-segments
AM_V_GUEST = $(am__v_GUEST_@AM_V@)
am__v_GUEST_ = $(am__v_GUEST_@AM_DEFAULT_V@)
am__v_GUEST_0 = @echo "  GUEST   " $@;
am__v_GUEST_1 =

guest_headers = tests/guests/common.h tests/guests/lib16.S tests/guests/lib64.S \
	tests/guests/fwcfg-lib64.S tests/guests/paging64.S
# Real mode, linked at offset 0 of their segment; long mode, loaded at 1 MiB.
guest_real_images = tests/guests/hello-real.bin tests/guests/echo.bin \
	tests/guests/stringio.bin tests/guests/exit-0.bin tests/guests/exit-1.bin \
	tests/guests/exit-42.bin tests/guests/exit-127.bin
guest_long_images = tests/guests/hello-long.bin tests/guests/smp.bin \
	tests/guests/unclaimed.bin tests/guests/fwcfg.bin tests/guests/triple-fault.bin
guest_images = $(guest_real_images) $(guest_long_images) \
	tests/guests/multiboot.elf tests/guests/multiboot-aout.bin

check_DATA += $(guest_images)
CLEANFILES += $(guest_images) tests/guests/*.o tests/guests/*.elf64 tests/guests/*.elf32
EXTRA_DIST += $(guest_headers) tests/guests/real.ld tests/guests/long.ld \
	tests/guests/multiboot.ld tests/guests/hello-real.S tests/guests/hello-long.S \
	tests/guests/echo.S tests/guests/stringio.S tests/guests/exit.S tests/guests/smp.S \
	tests/guests/unclaimed.S tests/guests/fwcfg.S tests/guests/triple-fault.S \
	tests/guests/multiboot.S tests/boards/guests

tests/guests/%.o: tests/guests/%.S $(guest_headers)
	$(AM_V_GUEST)$(MKDIR_P) $(@D) && $(CC) $(GUEST_ASSEMBLE_FLAGS) -c -o $@ $<

tests/guests/exit-%.o: tests/guests/exit.S $(guest_headers)
	$(AM_V_GUEST)$(MKDIR_P) $(@D) && $(CC) $(GUEST_ASSEMBLE_FLAGS) -DEXIT_VALUE=$* -c -o $@ $<

$(guest_real_images): tests/guests/%.bin: tests/guests/%.o tests/guests/real.ld
	$(AM_V_GUEST)$(CC) $(GUEST_LINK_FLAGS) -Wl,-T,$(srcdir)/tests/guests/real.ld \
		-o $@.elf64 $< && $(OBJCOPY) -O binary $@.elf64 $@ && rm -f $@.elf64

$(guest_long_images): tests/guests/%.bin: tests/guests/%.o tests/guests/long.ld
	$(AM_V_GUEST)$(CC) $(GUEST_LINK_FLAGS) -Wl,-T,$(srcdir)/tests/guests/long.ld \
		-o $@.elf64 $< && $(OBJCOPY) -O binary $@.elf64 $@ && rm -f $@.elf64

tests/guests/multiboot.o32: tests/guests/multiboot.S $(guest_headers)
	$(AM_V_GUEST)$(MKDIR_P) $(@D) && $(CC) -m32 $(GUEST_ASSEMBLE_FLAGS) -c -o $@ $<

tests/guests/multiboot-aout.o32: tests/guests/multiboot.S $(guest_headers)
	$(AM_V_GUEST)$(MKDIR_P) $(@D) && $(CC) -m32 $(GUEST_ASSEMBLE_FLAGS) -DAOUT_KLUDGE -c -o $@ $<

tests/guests/multiboot.elf: tests/guests/multiboot.o32 tests/guests/multiboot.ld
	$(AM_V_GUEST)$(CC) -m32 $(GUEST_LINK_FLAGS) -Wl,-T,$(srcdir)/tests/guests/multiboot.ld \
		-o $@ $<

tests/guests/multiboot-aout.bin: tests/guests/multiboot-aout.o32 tests/guests/multiboot.ld
	$(AM_V_GUEST)$(CC) -m32 $(GUEST_LINK_FLAGS) -Wl,-T,$(srcdir)/tests/guests/multiboot.ld \
		-o $@.elf32 $< && $(OBJCOPY) -O binary $@.elf32 $@ && rm -f $@.elf32

CLEANFILES += tests/guests/*.o32

noinst_DATA = tests/guests/hello-long.bin

if HAVE_CHECK
check_PROGRAMS += tests/test-guests
TESTS += tests/test-guests
tests_test_guests_SOURCES = tests/test-guests.c
tests_test_guests_CFLAGS = $(TEST_CFLAGS)
tests_test_guests_LDADD = $(GLIB_LIBS) $(CHECK_LIBS)
endif
