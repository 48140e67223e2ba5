/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SMP bring-up. The bootstrap processor (long mode) reads the CPU count from fw-cfg, copies a
 * real-mode trampoline below 1 MiB and wakes every other CPU with INIT-SIPI-SIPI through its
 * local APIC. Each CPU prints "cpu N up" (N = its APIC id from CPUID) under a spinlock and
 * checks in; when all have, the BSP prints "all N cpus up" and exits with status 33. If some
 * never arrive it prints how many did and exits with status 35.
 */
#include "common.h"

#define TRAMPOLINE 0x70000      /* page-aligned, below 1 MiB: SIPI vector 0x70 */
#define TRAMPOLINE_STACK 0xfff0 /* offset in the trampoline's segment, used under the lock */
#define WAIT_LOOPS 20000000     /* ~tens of seconds on an emulating KVM, then give up */

        .section .text.start, "ax"
        .code64
        .globl _start
_start:
        cli
        cld
        lea     stack_top(%rip), %rsp
        call    setup_identity_paging

        mov     $FW_CFG_NB_CPUS, %ax
        call    fw_cfg_select
        xor     %eax, %eax
        mov     $FW_CFG_DATA, %dx
        inb     %dx, %al
        mov     %al, %bl
        inb     %dx, %al
        mov     %al, %bh
        movzwl  %bx, %ebx
        test    %ebx, %ebx
        jz      bad_count
        cmp     $255, %ebx
        ja      bad_count
        mov     %ebx, %r12d             /* CPUs expected */

        /* Copy the trampoline, with its lock and counter, below 1 MiB. */
        lea     trampoline_start(%rip), %rsi
        mov     $TRAMPOLINE, %rdi
        mov     $(trampoline_end - trampoline_start), %rcx
        rep movsb

        /* The BSP reports itself like every other CPU. */
        call    lock_take
        lea     cpu_prefix(%rip), %rsi
        call    puts
        mov     $1, %eax
        cpuid
        shr     $24, %ebx
        mov     %ebx, %eax
        call    putdec
        lea     up_suffix(%rip), %rsi
        call    puts
        call    lock_release

        /* Enable the local APIC, then INIT and two SIPIs to all CPUs but this one. */
        mov     $LAPIC_BASE, %rbx
        movl    $0x1ff, LAPIC_SVR(%rbx)
        movl    $0, LAPIC_ICR_HIGH(%rbx)
        movl    $0x000c4500, LAPIC_ICR_LOW(%rbx)
        mov     $10000, %ecx
1:      pause
        loop    1b
        movl    $(0x000c4600 | (TRAMPOLINE >> 12)), LAPIC_ICR_LOW(%rbx)
        mov     $1000, %ecx
2:      pause
        loop    2b
        movl    $(0x000c4600 | (TRAMPOLINE >> 12)), LAPIC_ICR_LOW(%rbx)

        /* Wait for the others to check in. */
        lea     -1(%r12), %r13          /* APs expected */
        mov     $WAIT_LOOPS, %rcx
3:      mov     TRAMPOLINE + (ap_count - trampoline_start), %eax
        cmp     %r13d, %eax
        jae     all_up
        pause
        dec     %rcx
        jnz     3b

        call    lock_take
        lea     timeout_message(%rip), %rsi
        call    puts
        mov     TRAMPOLINE + (ap_count - trampoline_start), %eax
        inc     %eax
        call    putdec
        lea     of_message(%rip), %rsi
        call    puts
        mov     %r12, %rax
        call    putdec
        lea     cpus_up_suffix(%rip), %rsi
        call    puts
        GUEST_EXIT EXIT_FAIL

all_up:
        call    lock_take
        lea     all_prefix(%rip), %rsi
        call    puts
        mov     %r12, %rax
        call    putdec
        lea     cpus_up_suffix(%rip), %rsi
        call    puts
        GUEST_EXIT EXIT_PASS

bad_count:
        lea     bad_count_message(%rip), %rsi
        call    puts
        GUEST_EXIT EXIT_FAIL

/* The same spinlock the APs take, at its copy below 1 MiB. */
lock_take:
        push    %rax
1:      mov     $1, %al
        lock xchg %al, TRAMPOLINE + (ap_lock - trampoline_start)
        test    %al, %al
        jz      2f
        pause
        jmp     1b
2:      pop     %rax
        ret

lock_release:
        movb    $0, TRAMPOLINE + (ap_lock - trampoline_start)
        ret

cpu_prefix:
        .asciz  "cpu "
up_suffix:
        .asciz  " up\n"
all_prefix:
        .asciz  "all "
cpus_up_suffix:
        .asciz  " cpus up\n"
timeout_message:
        .asciz  "timeout: "
of_message:
        .asciz  " of "
bad_count_message:
        .asciz  "fw-cfg gave no usable cpu count\n"

#include "lib64.S"
#include "paging64.S"

/*
 * Application processors start here in real mode at TRAMPOLINE:0 (CS = TRAMPOLINE >> 4).
 * Offsets are relative to trampoline_start since the code runs from its copy.
 */
#define T(label) ((label) - trampoline_start)
        .code16
        .balign 16
trampoline_start:
        cli
        cld
        mov     %cs, %ax
        mov     %ax, %ds
        mov     $1, %eax
        cpuid
        shr     $24, %ebx               /* APIC id */
1:      mov     $1, %al
        lock xchg %al, T(ap_lock)
        test    %al, %al
        jz      2f
        pause
        jmp     1b
2:      /* Under the lock: one shared stack is enough. */
        mov     %cs, %ax
        mov     %ax, %ss
        mov     $TRAMPOLINE_STACK, %sp
        mov     $T(ap_cpu_prefix), %si
        call    ap_puts
        mov     %ebx, %eax
        call    ap_putdec
        mov     $T(ap_up_suffix), %si
        call    ap_puts
        lock incl T(ap_count)
        movb    $0, T(ap_lock)
3:      cli
        hlt
        jmp     3b

ap_putc:
        push    %dx
        push    %ax
        mov     $UART_LSR, %dx
1:      in      %dx, %al
        test    $UART_LSR_THRE, %al
        jz      1b
        pop     %ax
        mov     $UART_DATA, %dx
        out     %al, %dx
        pop     %dx
        ret

ap_puts:
        push    %si
        push    %ax
1:      lodsb
        test    %al, %al
        jz      2f
        call    ap_putc
        jmp     1b
2:      pop     %ax
        pop     %si
        ret

ap_putdec:
        pushal
        mov     $10, %ecx
        xor     %bx, %bx
1:      xor     %edx, %edx
        div     %ecx
        push    %dx
        inc     %bx
        test    %eax, %eax
        jnz     1b
2:      pop     %ax
        add     $'0', %al
        call    ap_putc
        dec     %bx
        jnz     2b
        popal
        ret

ap_cpu_prefix:
        .asciz  "cpu "
ap_up_suffix:
        .asciz  " up\n"
        .balign 4
ap_lock:
        .long   0
ap_count:
        .long   0
trampoline_end:

        .bss
        .balign 4096
paging_area:
        .space  6 * 4096
        .space  4096
stack_top:
