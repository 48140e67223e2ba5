# SPDX-License-Identifier: GPL-2.0-or-later
# x86_64 backend: built only on x86_64 hosts.
if ARCH_X86_64
endif
