/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared constants for the test guests. Guests reach devices only through ports and MMIO,
 * at the addresses the test boards in tests/boards/guests/ declare.
 */
#ifndef GUEST_COMMON_H
#define GUEST_COMMON_H

#define UART_BASE 0x3f8
#define UART_DATA (UART_BASE + 0) /* RBR (read) / THR (write) */
#define UART_IER (UART_BASE + 1)
#define UART_IIR (UART_BASE + 2) /* IIR (read) / FCR (write) */
#define UART_FCR (UART_BASE + 2)
#define UART_LCR (UART_BASE + 3)
#define UART_MCR (UART_BASE + 4)
#define UART_LSR (UART_BASE + 5)
#define UART_LSR_DR 0x01   /* receive data ready */
#define UART_LSR_THRE 0x20 /* transmit holding register empty */
#define UART_LSR_TEMT 0x40 /* transmitter empty */
#define UART_IRQ 4

/* debug-exit: a write of V ends vmboard with status (V << 1) | 1. */
#define DEBUG_EXIT_PORT 0xf4
#define EXIT_PASS 0x10 /* status 33 */
#define EXIT_FAIL 0x11 /* status 35 */

/* QEMU firmware configuration interface: 16-bit selector, 8-bit data. */
#define FW_CFG_SELECTOR 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_RAM_SIZE 0x0003
#define FW_CFG_NB_CPUS 0x0005
#define FW_CFG_FILE_DIR 0x0019
#define FW_CFG_FILE_NAME_LEN 56

/* Ports and MMIO nobody claims on the test boards (and KVM does not emulate in-kernel). */
#define UNCLAIMED_PORT 0x300
#define UNCLAIMED_MMIO 0xd0000000

#define LAPIC_BASE 0xfee00000
#define LAPIC_SVR 0x0f0
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310

#ifdef __ASSEMBLER__
/*
 * Make CS:IP independent of how the loader split the entry address into segment and offset:
 * reload CS so that offset 0 is the start of the image (which must be 16-byte aligned), and
 * set DS = ES = SS = CS with the stack at the top of that 64 KiB segment.
 */
.macro REAL_MODE_START
        cli
        cld
        mov     %cs, %ax
        mov     %ax, %ss
        xor     %sp, %sp
        call    1f
1:      pop     %bx
        xor     %eax, %eax
        mov     %cs, %ax
        shl     $4, %eax
        movzwl  %bx, %ebx
        add     %ebx, %eax
        sub     $1b, %eax               /* linear address of offset 0 */
        shr     $4, %eax
        push    %ax
        push    $2f
        lret
2:      mov     %cs, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        xor     %sp, %sp
.endm

/* Write one byte to the debug-exit port and stop (in any mode). */
.macro GUEST_EXIT value
        mov     $\value, %al
        out     %al, $DEBUG_EXIT_PORT
3:      cli
        hlt
        jmp     3b
.endm

/* Tell the linker the (host) stack need not be executable; keeps ld quiet. */
        .section .note.GNU-stack, "", @progbits
#endif

#endif
