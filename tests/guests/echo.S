/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Interactive echo in real mode, driven by UART receive interrupts: the guest programs the
 * in-kernel 8259 PIC (IRQ 4 -> vector 0x24, everything else masked), enables the UART's
 * receive interrupt, prints a prompt and halts. Each interrupt drains the receive FIFO and
 * echoes the bytes upper-cased; a 'q' prints "bye" and exits with status 33.
 */
#include "common.h"

#define PIC1_COMMAND 0x20
#define PIC1_DATA 0x21
#define PIC2_COMMAND 0xa0
#define PIC2_DATA 0xa1
#define PIC_EOI 0x20
#define PIC1_VECTOR_BASE 0x20
#define PIC2_VECTOR_BASE 0x28
#define UART_VECTOR (PIC1_VECTOR_BASE + UART_IRQ)

        .section .text.start, "ax"
        .code16
        .globl _start
_start:
        REAL_MODE_START

        /* Interrupt vector table entry: offset, then segment. */
        xor     %ax, %ax
        mov     %ax, %es
        movw    $uart_interrupt, %es:(UART_VECTOR * 4)
        mov     %cs, %es:(UART_VECTOR * 4 + 2)
        mov     %cs, %ax
        mov     %ax, %es

        /* 8259 initialisation: ICW1 (edge, cascade, ICW4), ICW2 (vectors), ICW3, ICW4 (8086). */
        mov     $0x11, %al
        out     %al, $PIC1_COMMAND
        out     %al, $PIC2_COMMAND
        mov     $PIC1_VECTOR_BASE, %al
        out     %al, $PIC1_DATA
        mov     $PIC2_VECTOR_BASE, %al
        out     %al, $PIC2_DATA
        mov     $0x04, %al              /* slave on IRQ 2 */
        out     %al, $PIC1_DATA
        mov     $0x02, %al              /* slave's cascade identity */
        out     %al, $PIC2_DATA
        mov     $0x01, %al
        out     %al, $PIC1_DATA
        out     %al, $PIC2_DATA
        mov     $(0xff & ~(1 << UART_IRQ)), %al
        out     %al, $PIC1_DATA
        mov     $0xff, %al
        out     %al, $PIC2_DATA

        /* UART: 8N1, OUT2 (gates the IRQ on PCs), receive interrupt on. The FCR stays as it
         * is: changing FIFO mode would clear bytes typed before the guest got here. */
        mov     $UART_LCR, %dx
        mov     $0x03, %al
        out     %al, %dx
        mov     $UART_MCR, %dx
        mov     $0x0b, %al
        out     %al, %dx
        mov     $UART_IER, %dx
        mov     $0x01, %al
        out     %al, %dx

        mov     $prompt, %si
        call    puts16
1:      sti
        hlt
        jmp     1b

uart_interrupt:
        push    %ax
        push    %dx
        mov     $UART_IIR, %dx          /* acknowledge */
        in      %dx, %al
2:      mov     $UART_LSR, %dx
        in      %dx, %al
        test    $UART_LSR_DR, %al
        jz      4f
        mov     $UART_DATA, %dx
        in      %dx, %al
        cmp     $'q', %al
        je      quit
        cmp     $'a', %al
        jb      3f
        cmp     $'z', %al
        ja      3f
        sub     $('a' - 'A'), %al
3:      call    putc16
        jmp     2b
4:      mov     $PIC_EOI, %al
        out     %al, $PIC1_COMMAND
        pop     %dx
        pop     %ax
        iret

quit:
        mov     $bye, %si
        call    puts16
        GUEST_EXIT EXIT_PASS

prompt:
        .asciz  "echo> "
bye:
        .asciz  "\nbye\n"

#include "lib16.S"
