# SPDX-License-Identifier: GPL-2.0-or-later
# `make run`: boot the default board.
DEMO_BOARD = $(srcdir)/boards/x86_64-hello.yaml

# The demo guest ends by writing 0x10 to debug-exit, which vmboard turns into status 33.
run: vmboard $(plugin_PROGRAMS) tests/guests/hello-long.bin
	./vmboard run $(DEMO_BOARD) --kernel tests/guests/hello-long.bin; \
	status=$$?; test $$status -eq 33 || exit $$status
.PHONY: run
