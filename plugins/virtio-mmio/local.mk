# SPDX-License-Identifier: GPL-2.0-or-later
# One plugin, four device types (virtio-blk, -net, -console, -rng) on one virtio-mmio transport.
plugin_PROGRAMS += plugins/virtio-mmio.so
plugins_virtio_mmio_so_SOURCES = \
	plugins/virtio-mmio/plugin.c \
	plugins/virtio-mmio/transport.c \
	plugins/virtio-mmio/virtqueue.c \
	plugins/virtio-mmio/virtio.h \
	plugins/virtio-mmio/virtqueue.h \
	plugins/virtio-mmio/blk.c \
	plugins/virtio-mmio/net.c \
	plugins/virtio-mmio/console.c \
	plugins/virtio-mmio/rng.c
plugins_virtio_mmio_so_CFLAGS = $(PLUGIN_COMPILE_FLAGS)
plugins_virtio_mmio_so_LDFLAGS = $(PLUGIN_LINK_FLAGS)
plugins_virtio_mmio_so_LDADD = $(PTHREAD_LIBS)
