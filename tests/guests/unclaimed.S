/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Accesses nobody claims: port reads of 1, 2 and 4 bytes and MMIO reads of 1, 2, 4 and 8 bytes
 * (one straddling a page boundary) must return all-ones, and writes must change nothing.
 * Prints "unclaimed ok" and exits with status 33; on the first wrong value it prints which
 * check failed and exits with status 35.
 */
#include "common.h"

/* CHECK: compare %rax with an expected value, else fail with check number \n. */
.macro CHECK n, expected
        mov     $\expected, %rdx
        cmp     %rdx, %rax
        je      9f
        mov     $\n, %ebx
        jmp     failed
9:
.endm

        .section .text.start, "ax"
        .code64
        .globl _start
_start:
        cli
        cld
        lea     stack_top(%rip), %rsp
        call    setup_identity_paging

        /* Ports: the untouched upper bits of %rax are cleared first. */
        xor     %eax, %eax
        mov     $UNCLAIMED_PORT, %dx
        inb     %dx, %al
        CHECK   1, 0xff
        xor     %eax, %eax
        mov     $UNCLAIMED_PORT, %dx
        inw     %dx, %ax
        CHECK   2, 0xffff
        xor     %eax, %eax
        mov     $UNCLAIMED_PORT, %dx
        inl     %dx, %eax
        CHECK   3, 0xffffffff

        /* Writes are dropped: the port still reads all-ones. */
        mov     $UNCLAIMED_PORT, %dx
        xor     %eax, %eax
        outb    %al, %dx
        outw    %ax, %dx
        outl    %eax, %dx
        inl     %dx, %eax
        CHECK   4, 0xffffffff

        /* MMIO of every width. */
        mov     $UNCLAIMED_MMIO, %rdi
        xor     %eax, %eax
        movb    (%rdi), %al
        CHECK   5, 0xff
        xor     %eax, %eax
        movw    2(%rdi), %ax
        CHECK   6, 0xffff
        xor     %eax, %eax
        movl    4(%rdi), %eax
        CHECK   7, 0xffffffff
        movq    8(%rdi), %rax
        CHECK   8, 0xffffffffffffffff
        /* An 8-byte read straddling a page boundary. */
        movq    0xffc(%rdi), %rax
        CHECK   9, 0xffffffffffffffff

        /* Writes are dropped. */
        xor     %eax, %eax
        movb    %al, (%rdi)
        movw    %ax, 2(%rdi)
        movl    %eax, 4(%rdi)
        movq    %rax, 8(%rdi)
        movq    (%rdi), %rax
        CHECK   10, 0xffffffffffffffff
        movq    8(%rdi), %rax
        CHECK   11, 0xffffffffffffffff

        lea     ok_message(%rip), %rsi
        call    puts
        GUEST_EXIT EXIT_PASS

failed:
        mov     %rax, %r12
        lea     fail_message(%rip), %rsi
        call    puts
        mov     %rbx, %rax
        call    putdec
        lea     got_message(%rip), %rsi
        call    puts
        mov     %r12, %rax
        call    putdec
        mov     $'\n', %al
        call    putc
        GUEST_EXIT EXIT_FAIL

ok_message:
        .asciz  "unclaimed ok\n"
fail_message:
        .asciz  "unclaimed FAILED check "
got_message:
        .asciz  ": read "

#include "lib64.S"
#include "paging64.S"

        .bss
        .balign 4096
paging_area:
        .space  6 * 4096
        .space  4096
stack_top:
