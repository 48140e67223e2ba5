/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Addresses and PSCI function ids the arm64 test guests use (boards/arm64-virt.yaml layout). */
#ifndef VMB_ARM64_GUEST_DEFS_H
#define VMB_ARM64_GUEST_DEFS_H

#define PL011_BASE 0x09000000
#define PL011_DR 0x00
#define PL011_FR 0x18
#define PL011_CR 0x30
#define PL011_CR_ENABLE 0x301 /* UARTEN | TXE | RXE */

#define PSCI_VERSION 0x84000000
#define PSCI_CPU_ON 0xc4000003
#define PSCI_SYSTEM_OFF 0x84000008
#define PSCI_SYSTEM_RESET 0x84000009
#define PSCI_ALREADY_ON (-4)

#endif
