# SPDX-License-Identifier: GPL-2.0-or-later
# arm64 backend: built only on arm64 hosts (and cross builds for them).
if ARCH_ARM64
endif
