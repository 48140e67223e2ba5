/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 64-bit long mode: a minimal virtio-blk driver over virtio-mmio at 0xd0000000 (irq 5), for
 * tests/test-virtio-kvm. It checks the identity registers, negotiates VIRTIO_F_VERSION_1,
 * sets up one 16-entry queue, then
 *   1. writes WRITES requests, polling the used ring with interrupts suppressed
 *      (VIRTQ_AVAIL_F_NO_INTERRUPT): sector i % 64 gets the 64-bit value i in its first bytes;
 *   2. reads READS sectors back, each time sleeping in HLT until the interrupt (IOAPIC pin 5,
 *      level-triggered, vector 0x30) whose handler reads InterruptStatus, acknowledges it and
 *      ends the interrupt at the local APIC; it checks each sector holds a value i < WRITES
 *      with i % 64 == sector.
 * Each read waits, in HLT, until its request is used AND the device's interrupt has arrived
 * since it was submitted, so every read sleeps at least once whatever the timing (a
 * completion that beats the driver leaves its interrupt pending, taken at the next STI). A
 * lost device interrupt hangs the guest. A periodic local APIC timer (every TICK_NS) also
 * ends a sleep, after which the read looks again and sleeps on: it rescues only a wake-up the
 * CPU lost after the device's handler ran (QEMU's emulated SVM, under which the nested tests
 * run, seems now and then to deliver an interrupt inside STI's shadow, so HLT comes after
 * it).
 * It prints "virtio-blk: W writes, R reads, I interrupts, S sleeps, T ticks" and exits
 * through debug-exit (status 33), or prints what failed and exits with status 35.
 */
#include "common.h"

#define VIRTIO      0xd0000000
#define DESC        0x310000
#define AVAIL       0x311000
#define USED        0x312000
#define HEADER      0x320000
#define STATUS      0x320100
#define DATA        0x321000
#define IDT         0x300000
#define IOAPIC      0xfec00000
#define LAPIC       0xfee00000
#define VECTOR      0x30
#define TICK_VECTOR 0x31
#define TICK_NS     20000000            /* KVM's APIC timer counts nanoseconds at divide 1 */
#define IRQ_PIN     5
#define QUEUE_SIZE  16
#define WRITES      200
#define READS       100

        .section .text.start, "ax"
        .code64
        .globl _start
_start:
        cli
        cld
        lea     stack_top(%rip), %rsp
        mov     $0xff, %al              /* mask both PICs: interrupts come through the IOAPIC */
        out     %al, $0x21
        out     %al, $0xa1

        mov     $VIRTIO, %rbx
        lea     msg_identity(%rip), %rsi
        cmpl    $0x74726976, 0x000(%rbx)
        jne     fail
        cmpl    $2, 0x004(%rbx)         /* version 2: virtio 1.x layout */
        jne     fail
        cmpl    $2, 0x008(%rbx)         /* block device */
        jne     fail

        lea     msg_features(%rip), %rsi
        movl    $0, 0x070(%rbx)         /* reset */
        movl    $3, 0x070(%rbx)         /* ACKNOWLEDGE | DRIVER */
        movl    $1, 0x014(%rbx)
        testl   $1, 0x010(%rbx)         /* VIRTIO_F_VERSION_1 offered */
        jz      fail
        movl    $0, 0x024(%rbx)
        movl    $0, 0x020(%rbx)
        movl    $1, 0x024(%rbx)
        movl    $1, 0x020(%rbx)         /* accept VIRTIO_F_VERSION_1 only */
        movl    $11, 0x070(%rbx)        /* | FEATURES_OK */
        testl   $8, 0x070(%rbx)
        jz      fail

        lea     msg_queue(%rip), %rsi
        movl    $0, 0x030(%rbx)
        cmpl    $QUEUE_SIZE, 0x034(%rbx)
        jb      fail
        movl    $QUEUE_SIZE, 0x038(%rbx)
        movl    $DESC, 0x080(%rbx)
        movl    $0, 0x084(%rbx)
        movl    $AVAIL, 0x090(%rbx)
        movl    $0, 0x094(%rbx)
        movl    $USED, 0x0a0(%rbx)
        movl    $0, 0x0a4(%rbx)
        movl    $1, 0x044(%rbx)
        cmpl    $1, 0x044(%rbx)
        jne     fail
        movl    $15, 0x070(%rbx)        /* | DRIVER_OK */

        /* One chain reused for every request: header -> data -> status. */
        movq    $HEADER, DESC + 0
        movl    $16, DESC + 8
        movw    $1, DESC + 12           /* NEXT */
        movw    $1, DESC + 14
        movq    $DATA, DESC + 16
        movl    $512, DESC + 24
        movw    $1, DESC + 28
        movw    $2, DESC + 30
        movq    $STATUS, DESC + 32
        movl    $1, DESC + 40
        movw    $2, DESC + 44           /* WRITE */
        movw    $0, DESC + 46

        /* ---- 1: polled writes, no interrupts wanted ---- */
        movw    $1, AVAIL               /* VIRTQ_AVAIL_F_NO_INTERRUPT */
        xor     %r12, %r12              /* i */
        lea     msg_write(%rip), %rsi
write_loop:
        movl    $1, HEADER              /* VIRTIO_BLK_T_OUT */
        movl    $0, HEADER + 4
        mov     %r12, %rax
        and     $63, %rax
        mov     %rax, HEADER + 8        /* sector i % 64 */
        mov     %r12, DATA
        movw    $1, DESC + 28           /* data is device-readable */
        call    submit
        call    poll_used
        cmpb    $0, STATUS
        jne     fail
        inc     %r12
        cmp     $WRITES, %r12
        jb      write_loop

        /* ---- 2: reads, woken by the interrupt ---- */
        call    setup_interrupts
        movw    $0, AVAIL               /* interrupts wanted now */
        xor     %r12, %r12
        lea     msg_read(%rip), %rsi
read_loop:
        movl    $0, HEADER              /* VIRTIO_BLK_T_IN */
        mov     %r12, %rax
        and     $63, %rax
        mov     %rax, HEADER + 8
        movq    $-1, DATA
        movw    $3, DESC + 28           /* data is device-writable */
        mov     interrupts(%rip), %r13  /* this read's interrupt comes after this count */
        call    submit
1:      cli
        movzwl  USED + 2, %eax
        cmp     %ax, expected_used(%rip)
        jne     3f
        cmp     interrupts(%rip), %r13
        jne     2f                      /* completed, and an interrupt came since submit */
3:      incq    sleeps(%rip)
        sti
        hlt                             /* sti's shadow: no interrupt slips in before hlt */
        jmp     1b
2:      cmpb    $0, STATUS
        jne     fail
        mov     DATA, %rax              /* a value i < WRITES with i % 64 == sector */
        cmp     $WRITES, %rax
        jae     fail
        and     $63, %rax
        cmp     HEADER + 8, %rax
        jne     fail
        inc     %r12
        cmp     $READS, %r12
        jb      read_loop

        lea     msg_done(%rip), %rsi
        call    puts
        mov     $WRITES, %rax
        call    putdec
        lea     msg_writes(%rip), %rsi
        call    puts
        mov     $READS, %rax
        call    putdec
        lea     msg_reads(%rip), %rsi
        call    puts
        mov     interrupts(%rip), %rax
        call    putdec
        lea     msg_interrupts(%rip), %rsi
        call    puts
        mov     sleeps(%rip), %rax
        call    putdec
        lea     msg_sleeps(%rip), %rsi
        call    puts
        mov     ticks(%rip), %rax
        call    putdec
        lea     msg_ticks(%rip), %rsi
        call    puts
        GUEST_EXIT EXIT_PASS

/* Publish descriptor 0 in the available ring and notify queue 0. The status byte is reset
 * before the index moves: from then on the device may take the request without waiting for
 * the notification (it looks at the ring again after each request it completes). */
submit:
        movb    $0xff, STATUS
        movzwl  avail_idx(%rip), %eax
        mov     %eax, %ecx
        and     $(QUEUE_SIZE - 1), %ecx
        movw    $0, AVAIL + 4(,%rcx,2)
        inc     %eax
        movw    %ax, avail_idx(%rip)
        movw    %ax, AVAIL + 2          /* x86 keeps stores in order: entry, then index */
        movw    %ax, expected_used(%rip)
        mfence
        movl    $0, 0x050(%rbx)         /* QueueNotify: queue 0 */
        ret

poll_used:
        movzwl  expected_used(%rip), %ecx
1:      movzwl  USED + 2, %eax
        cmp     %ecx, %eax
        je      2f
        pause
        jmp     1b
2:      ret

/* IDT entry at %rdi: a 64-bit interrupt gate to %rax. */
set_gate:
        movw    %ax, (%rdi)
        mov     %cs, %dx
        movw    %dx, 2(%rdi)
        movw    $0x8e00, 4(%rdi)
        shr     $16, %rax
        movw    %ax, 6(%rdi)
        shr     $16, %rax
        movl    %eax, 8(%rdi)
        movl    $0, 12(%rdi)
        ret

setup_interrupts:
        lea     irq_handler(%rip), %rax
        mov     $IDT + VECTOR * 16, %rdi
        call    set_gate
        lea     tick_handler(%rip), %rax
        mov     $IDT + TICK_VECTOR * 16, %rdi
        call    set_gate
        movw    $(256 * 16 - 1), idt_pointer(%rip)
        movq    $IDT, idt_pointer + 2(%rip)
        lidt    idt_pointer(%rip)
        /* Local APIC on, then IOAPIC pin IRQ_PIN: level, active high, to APIC 0. */
        mov     $LAPIC, %rdi
        movl    $0x1ff, 0xf0(%rdi)      /* SVR: enabled, spurious vector 0xff */
        movl    $0, 0x80(%rdi)          /* TPR */
        movl    $0xb, 0x3e0(%rdi)       /* timer: divide by 1 */
        movl    $(TICK_VECTOR | 0x20000), 0x320(%rdi) /* periodic */
        movl    $TICK_NS, 0x380(%rdi)   /* initial count: starts it */
        mov     $IOAPIC, %rdi
        movl    $(0x10 + 2 * IRQ_PIN + 1), (%rdi)
        movl    $0, 0x10(%rdi)
        movl    $(0x10 + 2 * IRQ_PIN), (%rdi)
        movl    $(VECTOR | 0x8000), 0x10(%rdi)
        ret

irq_handler:
        push    %rax
        mov     $VIRTIO, %rax
        push    %rcx
        movl    0x060(%rax), %ecx       /* InterruptStatus */
        movl    %ecx, 0x064(%rax)       /* InterruptACK */
        incq    interrupts(%rip)
        mov     $LAPIC, %rax
        movl    $0, 0xb0(%rax)          /* end of interrupt: KVM resamples the line */
        pop     %rcx
        pop     %rax
        iretq

tick_handler:
        push    %rax
        incq    ticks(%rip)
        mov     $LAPIC, %rax
        movl    $0, 0xb0(%rax)          /* end of interrupt */
        pop     %rax
        iretq

fail:
        push    %rsi
        lea     msg_fail(%rip), %rsi
        call    puts
        pop     %rsi
        call    puts
        mov     %r12, %rax
        call    putdec
        mov     $'\n', %al
        call    putc
        GUEST_EXIT EXIT_FAIL

msg_identity:   .asciz  "identity registers, request "
msg_features:   .asciz  "feature negotiation, request "
msg_queue:      .asciz  "queue setup, request "
msg_write:      .asciz  "write, request "
msg_read:       .asciz  "read, request "
msg_fail:       .asciz  "virtio-blk guest failed: "
msg_done:       .asciz  "virtio-blk: "
msg_writes:     .asciz  " writes, "
msg_reads:      .asciz  " reads, "
msg_interrupts: .asciz  " interrupts, "
msg_sleeps:     .asciz  " sleeps, "
msg_ticks:      .asciz  " ticks\n"

#include "lib64.S"

        .data
        .balign 8
interrupts:     .quad   0
sleeps:         .quad   0
ticks:          .quad   0
avail_idx:      .word   0
expected_used:  .word   0
idt_pointer:    .word   0
                .quad   0

        .bss
        .balign 16
        .space  8192
stack_top:
