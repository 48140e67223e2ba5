/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A multiboot v1 kernel (ELF32, or with -DAOUT_KLUDGE a flat image whose header carries its
 * load addresses). Entered in 32-bit protected mode, it prints what the boot information
 * says: flags, command line, memory sizes, memory map, the module's name, size and first
 * bytes, and the boot loader's name; then checks that the information and the module do not
 * overlap the kernel. Exits with status 33 when everything was present and well placed,
 * otherwise 35.
 */
#include "common.h"

#define MULTIBOOT_HEADER_MAGIC 0x1badb002
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002
#define MULTIBOOT_PAGE_ALIGN 0x00000001
#define MULTIBOOT_MEMORY_INFO 0x00000002
#define MULTIBOOT_AOUT_KLUDGE 0x00010000
#ifdef AOUT_KLUDGE
#define HEADER_FLAGS (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO | MULTIBOOT_AOUT_KLUDGE)
#else
#define HEADER_FLAGS (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO)
#endif

/* Offsets in the multiboot information structure. */
#define MBI_FLAGS 0
#define MBI_MEM_LOWER 4
#define MBI_MEM_UPPER 8
#define MBI_CMDLINE 16
#define MBI_MODS_COUNT 20
#define MBI_MODS_ADDR 24
#define MBI_MMAP_LENGTH 44
#define MBI_MMAP_ADDR 48
#define MBI_BOOT_LOADER_NAME 64
#define MBI_SIZE 88

        .section .multiboot, "a"
        .balign 4
multiboot_header:
        .long   MULTIBOOT_HEADER_MAGIC
        .long   HEADER_FLAGS
        .long   -(MULTIBOOT_HEADER_MAGIC + HEADER_FLAGS)
        .long   multiboot_header        /* header_addr (a.out kludge only) */
        .long   image_start             /* load_addr */
        .long   _load_end               /* load_end_addr */
        .long   _end                    /* bss_end_addr */
        .long   _start                  /* entry_addr */

        .text
        .code32
        .globl _start
_start:
        cli
        cld
        mov     $stack_top, %esp
        mov     %ebx, %ebp              /* boot information stays in %ebp */
        movl    $0, failures
        cmp     $MULTIBOOT_BOOTLOADER_MAGIC, %eax
        je      1f
        mov     $bad_magic_message, %esi
        call    puts32
        jmp     finish
1:
        /* flags */
        mov     $flags_message, %esi
        call    puts32
        mov     MBI_FLAGS(%ebp), %eax
        call    puthex32
        call    newline32

        /* command line */
        testl   $(1 << 2), MBI_FLAGS(%ebp)
        jz      2f
        mov     $cmdline_message, %esi
        call    puts32
        mov     MBI_CMDLINE(%ebp), %esi
        call    puts32
        call    newline32
        mov     MBI_CMDLINE(%ebp), %eax
        call    check_outside_kernel
2:
        /* memory sizes */
        testl   $(1 << 0), MBI_FLAGS(%ebp)
        jz      3f
        mov     $mem_lower_message, %esi
        call    puts32
        mov     MBI_MEM_LOWER(%ebp), %eax
        call    putdec32
        mov     $kib_message, %esi
        call    puts32
        mov     $mem_upper_message, %esi
        call    puts32
        mov     MBI_MEM_UPPER(%ebp), %eax
        call    putdec32
        mov     $kib_message, %esi
        call    puts32
        jmp     4f
3:      incl    failures
4:
        /* memory map: entries of { u32 size; u64 base; u64 length; u32 type }, size excluded */
        testl   $(1 << 6), MBI_FLAGS(%ebp)
        jz      7f
        mov     MBI_MMAP_ADDR(%ebp), %ebx
        mov     %ebx, %edi
        add     MBI_MMAP_LENGTH(%ebp), %edi
5:      cmp     %edi, %ebx
        jae     6f
        mov     $mmap_message, %esi
        call    puts32
        mov     8(%ebx), %eax
        call    puthex32
        mov     4(%ebx), %eax
        call    puthex32_digits
        mov     $mmap_length_message, %esi
        call    puts32
        mov     16(%ebx), %eax
        call    puthex32
        mov     12(%ebx), %eax
        call    puthex32_digits
        mov     $mmap_type_message, %esi
        call    puts32
        mov     20(%ebx), %eax
        call    putdec32
        call    newline32
        mov     (%ebx), %eax
        cmp     $20, %eax               /* a broken size would loop forever */
        jb      7f
        lea     4(%ebx, %eax), %ebx
        jmp     5b
6:      jmp     8f
7:      incl    failures
8:
        /* modules: { u32 start; u32 end; u32 string; u32 reserved } */
        testl   $(1 << 3), MBI_FLAGS(%ebp)
        jz      11f
        mov     $mods_message, %esi
        call    puts32
        mov     MBI_MODS_COUNT(%ebp), %eax
        call    putdec32
        call    newline32
        cmpl    $0, MBI_MODS_COUNT(%ebp)
        je      11f
        mov     MBI_MODS_ADDR(%ebp), %ebx
        mov     $module_message, %esi
        call    puts32
        mov     8(%ebx), %esi
        call    puts32
        mov     $module_size_message, %esi
        call    puts32
        mov     4(%ebx), %eax
        sub     (%ebx), %eax
        call    putdec32
        mov     $module_data_message, %esi
        call    puts32
        mov     4(%ebx), %ecx
        sub     (%ebx), %ecx
        cmp     $16, %ecx
        jbe     9f
        mov     $16, %ecx
9:      mov     (%ebx), %esi
        call    putprintable32
        mov     $'"', %al
        call    putc32
        call    newline32
        mov     (%ebx), %eax
        test    $0xfff, %eax
        jz      10f
        mov     $unaligned_message, %esi
        call    puts32
        incl    failures
10:     call    check_outside_kernel
11:
        /* boot loader name */
        testl   $(1 << 9), MBI_FLAGS(%ebp)
        jz      12f
        mov     $loader_message, %esi
        call    puts32
        mov     MBI_BOOT_LOADER_NAME(%ebp), %esi
        call    puts32
        call    newline32
12:
        mov     %ebp, %eax
        call    check_outside_kernel
        lea     MBI_SIZE - 1(%ebp), %eax
        call    check_outside_kernel

finish:
        cmpl    $0, failures
        jne     13f
        mov     $ok_message, %esi
        call    puts32
        mov     $EXIT_PASS, %al
        jmp     14f
13:     mov     $failed_message, %esi
        call    puts32
        mov     $EXIT_FAIL, %al
14:     out     %al, $DEBUG_EXIT_PORT
15:     cli
        hlt
        jmp     15b

/* check_outside_kernel: count a failure if address %eax lies inside the loaded kernel. */
check_outside_kernel:
        cmp     $image_start, %eax
        jb      1f
        cmp     $_end, %eax
        jae     1f
        incl    failures
        push    %esi
        mov     $overlap_message, %esi
        call    puts32
        call    puthex32
        call    newline32
        pop     %esi
1:      ret

putc32:
        push    %edx
        push    %eax
        mov     $UART_LSR, %dx
1:      in      %dx, %al
        test    $UART_LSR_THRE, %al
        jz      1b
        pop     %eax
        mov     $UART_DATA, %dx
        out     %al, %dx
        pop     %edx
        ret

newline32:
        push    %eax
        mov     $'\n', %al
        call    putc32
        pop     %eax
        ret

/* puts32: the NUL-terminated string at %esi (at most 4096 bytes). */
puts32:
        push    %esi
        push    %ecx
        push    %eax
        mov     $4096, %ecx
1:      lodsb
        test    %al, %al
        jz      2f
        call    putc32
        loop    1b
2:      pop     %eax
        pop     %ecx
        pop     %esi
        ret

/* putprintable32: %ecx bytes at %esi, with anything unprintable shown as '.'. */
putprintable32:
        push    %esi
        push    %ecx
        push    %eax
        test    %ecx, %ecx
        jz      3f
1:      lodsb
        cmp     $0x20, %al
        jb      2f
        cmp     $0x7e, %al
        jbe     4f
2:      mov     $'.', %al
4:      call    putc32
        loop    1b
3:      pop     %eax
        pop     %ecx
        pop     %esi
        ret

putdec32:
        pushal
        mov     $10, %ecx
        xor     %ebx, %ebx
1:      xor     %edx, %edx
        div     %ecx
        push    %edx
        inc     %ebx
        test    %eax, %eax
        jnz     1b
2:      pop     %eax
        add     $'0', %al
        call    putc32
        dec     %ebx
        jnz     2b
        popal
        ret

/* puthex32: "0x" and 8 hex digits of %eax; puthex32_digits: the digits only. */
puthex32:
        push    %eax
        mov     $'0', %al
        call    putc32
        mov     $'x', %al
        call    putc32
        pop     %eax
puthex32_digits:
        pushal
        mov     %eax, %edx
        mov     $8, %ecx
1:      rol     $4, %edx
        mov     %edx, %eax
        and     $0xf, %eax
        mov     hex_digits(%eax), %al
        call    putc32
        loop    1b
        popal
        ret

        .section .rodata
hex_digits:
        .ascii  "0123456789abcdef"
bad_magic_message:
        .asciz  "bad multiboot magic in eax\n"
flags_message:
        .asciz  "flags: "
cmdline_message:
        .asciz  "cmdline: "
mem_lower_message:
        .asciz  "mem_lower: "
mem_upper_message:
        .asciz  "mem_upper: "
kib_message:
        .asciz  " KiB\n"
mmap_message:
        .asciz  "mmap: base "
mmap_length_message:
        .asciz  " length "
mmap_type_message:
        .asciz  " type "
mods_message:
        .asciz  "mods_count: "
module_message:
        .asciz  "module: "
module_size_message:
        .asciz  " size "
module_data_message:
        .asciz  " data \""
unaligned_message:
        .asciz  "module not page aligned\n"
loader_message:
        .asciz  "boot_loader_name: "
overlap_message:
        .asciz  "overlaps the kernel: "
ok_message:
        .asciz  "multiboot ok\n"
failed_message:
        .asciz  "multiboot FAILED\n"

        .bss
        .balign 16
failures:
        .long   0
        .space  4096
stack_top:
