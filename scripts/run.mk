# SPDX-License-Identifier: GPL-2.0-or-later
# `make run`: boot the default board, boards/x86_64-microvm.yaml, with Debian's kernel and a
# busybox initramfs (fetched into ~/.cache/vmboard by scripts/x86/demo) to a shell on this
# terminal. On a host whose /dev/kvm cannot run Linux vmboard says so and points at
# `make run-nested`: the same demo inside an outer VM with a real x86 KVM, still interactive.
# `make run-hello`: the tiny assembly demo guest (boards/x86_64-hello.yaml); it ends by
# writing 0x10 to debug-exit, which vmboard turns into status 33.
run: all
	$(srcdir)/scripts/x86/demo --build $(abs_top_builddir)

run-nested: all
	$(srcdir)/scripts/x86/demo --nested --build $(abs_top_builddir)

run-hello: vmboard $(plugin_PROGRAMS) tests/guests/hello-long.bin
	./vmboard run $(srcdir)/boards/x86_64-hello.yaml --kernel tests/guests/hello-long.bin; \
	status=$$?; test $$status -eq 33 || exit $$status

.PHONY: run run-nested run-hello
EXTRA_DIST += scripts/fetch-debian-package scripts/x86
