/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared code of the arm64 test guests (included at the end of each guest). The guests run
 * at EL1 with the MMU off, entered at 0x40000000 with x0 = device tree, as vmboard's
 * arm64-virt board starts a flat image. Leaf routines: they use x9-x15 and return via x30.
 */
#include "defs.h"

/* Turn the PL011 on (its reset state leaves UARTEN clear). */
uart_init:
    ldr x9, =PL011_BASE
    mov w10, #PL011_CR_ENABLE
    str w10, [x9, #PL011_CR]
    ret

/* Print the NUL-terminated string at x0. */
puts:
    ldr x9, =PL011_BASE
1:  ldrb w10, [x0], #1
    cbz w10, 2f
    str w10, [x9, #PL011_DR]
    b 1b
2:  ret

/* Print x0 as 16 hex digits. */
puthex:
    ldr x9, =PL011_BASE
    mov x11, #60
1:  lsr x10, x0, x11
    and x10, x10, #0xf
    cmp x10, #10
    b.lo 2f
    add x10, x10, #('a' - '0' - 10)
2:  add x10, x10, #'0'
    str w10, [x9, #PL011_DR]
    subs x11, x11, #4
    b.ge 1b
    ret

/* PSCI SYSTEM_OFF through the hypervisor conduit; never returns. */
power_off:
    ldr x0, =PSCI_SYSTEM_OFF
    hvc #0
1:  wfi
    b 1b

    .ltorg
