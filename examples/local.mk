# SPDX-License-Identifier: GPL-2.0-or-later
# The plugin SDK's documentation and examples/out-of-tree (a third-party device built against
# an installed vmboard), installed with the documentation so a newcomer can copy the example.
dist_doc_DATA = docs/plugin-guide.md docs/plugins.md
exampledir = $(docdir)/examples/out-of-tree
dist_example_DATA = examples/out-of-tree/README.md examples/out-of-tree/Makefile \
	examples/out-of-tree/watchdog.c examples/out-of-tree/watchdog.vdt \
	examples/out-of-tree/test-watchdog.c examples/out-of-tree/guest.S \
	examples/out-of-tree/guest.ld examples/out-of-tree/board.yaml
