/* SPDX-License-Identifier: MIT */
/*
 * A real-mode guest that drives the example watchdog. vmboard loads this flat image at
 * 0x10000 and starts it with CS = DS = ES = 0x1000, IP = 0 and SS:SP = 0:0 (a flat image in
 * real mode, see docs/board-format.md).
 *
 * It routes the watchdog's interrupt (IRQ 5) through the 8259 PIC, sets a 300 ms timeout with
 * a pre-timeout interrupt 200 ms before expiry, and kicks the watchdog from its interrupt
 * handler three times. At the fourth pre-timeout it stops kicking, so the watchdog expires
 * and ends the run with the board's exit-status. Progress is printed on the UART.
 */
#define UART_DATA 0x3f8
#define UART_LSR  0x3fd
#define UART_LSR_THRE 0x20

#define WDT_BASE       0x520
#define WDT_CTRL       (WDT_BASE + 0x00)
#define WDT_TIMEOUT    (WDT_BASE + 0x04)
#define WDT_PRETIMEOUT (WDT_BASE + 0x08)
#define WDT_KICK       (WDT_BASE + 0x0c)
#define WDT_STATUS     (WDT_BASE + 0x10)
#define WDT_ID         (WDT_BASE + 0x18)
#define WDT_ID_VALUE   0x31544457 /* "WDT1" */
#define WDT_KICK_VALUE 0x4b43494b /* "KICK" */
#define WDT_IRQ        5

#define DEBUG_EXIT_PORT 0xf4
#define KICKS           3

#define PIC1_COMMAND 0x20
#define PIC1_DATA    0x21
#define PIC2_COMMAND 0xa0
#define PIC2_DATA    0xa1
#define PIC_EOI      0x20
#define VECTOR_BASE  0x20
#define WDT_VECTOR   (VECTOR_BASE + WDT_IRQ)

        .code16
        .section .text.start, "ax"
        .globl _start
_start:
        cli
        cld
        /* The interrupt vector table (at 0:0) entry for the watchdog: offset, then segment. */
        xor     %ax, %ax
        mov     %ax, %es
        movw    $watchdog_interrupt, %es:(WDT_VECTOR * 4)
        mov     %cs, %es:(WDT_VECTOR * 4 + 2)

        /* 8259 pair: edge triggered, vectors 0x20 and 0x28, slave on IRQ 2, 8086 mode; only
         * IRQ 5 unmasked. */
        mov     $0x11, %al
        out     %al, $PIC1_COMMAND
        out     %al, $PIC2_COMMAND
        mov     $VECTOR_BASE, %al
        out     %al, $PIC1_DATA
        mov     $(VECTOR_BASE + 8), %al
        out     %al, $PIC2_DATA
        mov     $0x04, %al
        out     %al, $PIC1_DATA
        mov     $0x02, %al
        out     %al, $PIC2_DATA
        mov     $0x01, %al
        out     %al, $PIC1_DATA
        out     %al, $PIC2_DATA
        mov     $(0xff & ~(1 << WDT_IRQ)), %al
        out     %al, $PIC1_DATA
        mov     $0xff, %al
        out     %al, $PIC2_DATA

        /* Is the watchdog there? A port nobody claims reads all-ones. */
        mov     $WDT_ID, %dx
        in      %dx, %eax
        cmp     $WDT_ID_VALUE, %eax
        jne     no_watchdog
        mov     $found, %si
        call    puts

        mov     $WDT_TIMEOUT, %dx
        mov     $300, %eax
        out     %eax, %dx
        mov     $WDT_PRETIMEOUT, %dx
        mov     $200, %eax
        out     %eax, %dx
        mov     $WDT_CTRL, %dx
        mov     $3, %eax                /* enable, pre-timeout interrupt enable */
        out     %eax, %dx

1:      sti
        hlt
        jmp     1b

no_watchdog:
        mov     $missing, %si
        call    puts
        mov     $0x11, %al              /* vmboard exits with status 35 */
        out     %al, $DEBUG_EXIT_PORT
2:      cli
        hlt
        jmp     2b

watchdog_interrupt:
        pushal
        mov     $WDT_STATUS, %dx
        in      %dx, %eax
        test    $1, %al
        jz      3f                      /* not ours */
        mov     $1, %eax                /* acknowledge: the line goes low */
        out     %eax, %dx

        incb    interrupts
        mov     $pretimeout, %si
        call    puts
        mov     interrupts, %al
        add     $'0', %al
        call    putc
        cmpb    $KICKS, interrupts
        ja      4f
        mov     $WDT_KICK, %dx
        mov     $WDT_KICK_VALUE, %eax
        out     %eax, %dx
        mov     $kicked, %si
        call    puts
        jmp     3f
4:      mov     $not_kicked, %si
        call    puts
3:      mov     $PIC_EOI, %al
        out     %al, $PIC1_COMMAND
        popal
        iret

/* putc: send %al to the UART once it can take a byte. */
putc:
        push    %dx
        push    %ax
        mov     $UART_LSR, %dx
5:      in      %dx, %al
        test    $UART_LSR_THRE, %al
        jz      5b
        pop     %ax
        mov     $UART_DATA, %dx
        out     %al, %dx
        pop     %dx
        ret

/* puts: send the NUL-terminated string at DS:SI. */
puts:
        push    %si
        push    %ax
6:      lodsb
        test    %al, %al
        jz      7f
        call    putc
        jmp     6b
7:      pop     %ax
        pop     %si
        ret

interrupts:
        .byte   0
found:
        .asciz  "watchdog found: timeout 300 ms, pre-timeout interrupt 200 ms before\n"
missing:
        .asciz  "no watchdog at port 0x520\n"
pretimeout:
        .asciz  "pre-timeout "
kicked:
        .asciz  ": kick\n"
not_kicked:
        .asciz  ": not kicking, the watchdog will end the run\n"

        .section .note.GNU-stack, "", @progbits
