/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The x86_64 backend: in-kernel irqchip (PIC, IOAPIC, LAPIC) and PIT, RAM below 3 GiB and
 * above 4 GiB, payload loading, per-vCPU setup, and register dumps for fatal errors.
 *
 * vCPU 0 is the bootstrap processor and starts in the loader's entry state. The others are
 * left as KVM creates them with an in-kernel LAPIC: waiting for INIT/SIPI, so the guest
 * starts each one with an INIT-SIPI-SIPI sequence, in real mode at CS:IP = vector<<8:0.
 */
#include "config.h"

#include "arch/x86/x86.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/arch.h"
#include "memory.h"
#include "util.h"
#include "vcpu.h"
#include "vm.h"

/* Guest-physical pages KVM reserves on Intel hosts without unrestricted guest: one for the
 * identity page table, three for the real-mode TSS. Below the 4 GiB firmware area, where the
 * board puts neither RAM nor (by convention) devices. */
#define X86_IDENTITY_MAP_GPA   0xfffbc000ull
#define X86_TSS_GPA            0xfffbd000ull
#define MULTIBOOT_SEARCH_BYTES 8192

struct x86_capability_need {
    int cap;
    const char *name;
    const char *why;
};

static const struct x86_capability_need x86_caps[] = {
    {KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP", "the in-kernel PIC, IOAPIC and LAPIC"},
    {KVM_CAP_PIT2, "KVM_CAP_PIT2", "the in-kernel PIT"},
    {KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR", "real-mode guests"},
    {KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR", "real-mode guests"},
    {KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID", "setting CPUID per vCPU"},
    {KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE", "starting secondary vCPUs"},
};

static bool vm_ioctl(struct vm *vm, unsigned long request, void *argument, const char *name,
                     GError **error)
{
    if (ioctl(vm->vm_fd, request, argument) < 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM, "%s failed: %s", name, g_strerror(errno));
        return false;
    }
    return true;
}

static bool x86_vm_init(struct vm *vm, GError **error)
{
    vm->arch_state = g_new0(struct x86_state, 1);

    for (size_t i = 0; i < G_N_ELEMENTS(x86_caps); i++) {
        if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, x86_caps[i].cap) <= 0) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_KVM, "this host's KVM lacks %s, needed for %s",
                        x86_caps[i].name, x86_caps[i].why);
            return false;
        }
    }

    uint64_t identity_map = X86_IDENTITY_MAP_GPA;
    if (!vm_ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &identity_map, "KVM_SET_IDENTITY_MAP_ADDR", error))
        return false;
    if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)X86_TSS_GPA) < 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM, "KVM_SET_TSS_ADDR failed: %s",
                    g_strerror(errno));
        return false;
    }
    if (!vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL, "KVM_CREATE_IRQCHIP", error))
        return false;
    /* The dummy speaker port (0x61) keeps PC-speaker probes in the kernel. */
    struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
    if (!vm_ioctl(vm, KVM_CREATE_PIT2, &pit, "KVM_CREATE_PIT2", error))
        return false;
    if (!x86_cpuid_init(vm, error))
        return false;

    /* RAM below the 32-bit device hole (LAPIC, IOAPIC, devices), the rest above 4 GiB. */
    uint64_t total = (vm->board->memory + 4095) & ~4095ull;
    uint64_t low = MIN(total, X86_RAM_LOW_LIMIT);
    if (!memory_add_ram(vm->mem, 0, low, error))
        return false;
    if (total > low && !memory_add_ram(vm->mem, X86_HIGH_RAM_BASE, total - low, error))
        return false;
    return true;
}

static const char *boot_format_name(enum boot_format format)
{
    switch (format) {
    case BOOT_FORMAT_AUTO:
        return "auto";
    case BOOT_FORMAT_FLAT:
        return "flat";
    case BOOT_FORMAT_MULTIBOOT:
        return "multiboot";
    case BOOT_FORMAT_BZIMAGE:
        return "bzimage";
    case BOOT_FORMAT_ELF:
        return "elf";
    case BOOT_FORMAT_ARM64_IMAGE:
        return "arm64-image";
    }
    return "unknown";
}

/* `auto`: bzImage by its "HdrS" header; multiboot when its header is in the first 8 KiB; an
 * other ELF file is a vmlinux for the PVH entry (whose loader explains a missing note); else
 * flat. */
static bool detect_format(const struct board_boot *boot, enum boot_format *format, GError **error)
{
    FILE *file = fopen(boot->kernel, "rb");
    if (!file) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID, "%s: cannot open the kernel %s: %s",
                    board_loc_str(&boot->kernel_loc), boot->kernel, g_strerror(errno));
        return false;
    }
    uint8_t *head = g_malloc(MULTIBOOT_SEARCH_BYTES);
    size_t length = fread(head, 1, MULTIBOOT_SEARCH_BYTES, file);
    bool failed = ferror(file);
    fclose(file);
    if (failed) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID, "%s: cannot read the kernel %s",
                    board_loc_str(&boot->kernel_loc), boot->kernel);
        g_free(head);
        return false;
    }
    if (x86_is_bzimage(head, length))
        *format = BOOT_FORMAT_BZIMAGE;
    else if (x86_is_multiboot(head, length))
        *format = BOOT_FORMAT_MULTIBOOT;
    else if (length >= 4 && memcmp(head, "\x7f" "ELF", 4) == 0)
        *format = BOOT_FORMAT_ELF;
    else
        *format = BOOT_FORMAT_FLAT;
    g_free(head);
    return true;
}

static bool x86_load(struct vm *vm, GError **error)
{
    struct x86_state *state = vm->arch_state;
    const struct board_boot *boot = &vm->board->boot;
    enum boot_format format = boot->format;

    if (!boot->kernel) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: the board has no boot kernel (boot.kernel or --kernel)", vm->board->path);
        return false;
    }
    if (format == BOOT_FORMAT_AUTO && !detect_format(boot, &format, error))
        return false;

    switch (format) {
    case BOOT_FORMAT_FLAT:
        return x86_load_flat(vm, &state->entry, error);
    case BOOT_FORMAT_MULTIBOOT:
        return x86_load_multiboot(vm, &state->entry, error);
    case BOOT_FORMAT_BZIMAGE:
        return x86_load_bzimage(vm, &state->entry, error);
    case BOOT_FORMAT_ELF:
        return x86_load_pvh(vm, &state->entry, error);
    default:
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: boot format '%s' is not an x86_64 format", board_loc_str(&boot->loc),
                    boot_format_name(format));
        return false;
    }
}

static bool x86_vcpu_init(struct vcpu *vcpu, GError **error)
{
    if (!x86_vcpu_setup_cpuid(vcpu, error) || !x86_vcpu_setup_msrs(vcpu, error))
        return false;
    /* Secondaries keep KVM's wait-for-SIPI state; INIT/SIPI from the guest starts them. */
    if (vcpu->index != 0)
        return true;
    return x86_vcpu_apply_entry(vcpu, vcpu->vm->arch_state, error);
}

static uint32_t x86_irq_line_encode(struct vm *vm, unsigned line)
{
    return line; /* KVM_IRQ_LINE takes the GSI: PIC+IOAPIC pins 0-23 */
}

static void x86_vm_destroy(struct vm *vm)
{
    struct x86_state *state = vm->arch_state;
    if (!state)
        return;
    g_free(state->supported_cpuid);
    g_free(state);
    vm->arch_state = NULL;
}

/* ---- register dumps -------------------------------------------------------------------- */

#define CR0_PE      (1ull << 0)
#define CR0_PG      (1ull << 31)
#define CR4_PSE     (1ull << 4)
#define CR4_PAE     (1ull << 5)
#define CR4_LA57    (1ull << 12)
#define EFER_LMA    (1ull << 10)
#define PTE_PRESENT 0x1ull
#define PTE_LARGE   0x80ull
#define PTE_FRAME   0x000ffffffffff000ull

/*
 * Linear to guest-physical through the guest's own page tables, read with the bounds-checked
 * memory functions: a corrupt table yields false, never a host fault.
 */
static bool translate_linear(struct vm *vm, const struct kvm_sregs *sregs, uint64_t linear,
                             uint64_t *gpa)
{
    if (!(sregs->cr0 & CR0_PG)) {
        *gpa = linear & 0xffffffffull;
        return true;
    }
    if (!(sregs->cr4 & CR4_PAE)) {
        /* 32-bit paging: 1024-entry directory and tables of 4-byte entries. */
        uint32_t pde, pte;
        uint64_t directory = sregs->cr3 & 0xfffff000ull;
        if (!memory_read(vm->mem, directory + ((linear >> 22) & 0x3ff) * 4, &pde, 4) ||
            !(pde & PTE_PRESENT))
            return false;
        if ((pde & PTE_LARGE) && (sregs->cr4 & CR4_PSE)) {
            *gpa = (pde & 0xffc00000u) | (linear & 0x3fffff);
            return true;
        }
        if (!memory_read(vm->mem, (pde & 0xfffff000u) + ((linear >> 12) & 0x3ff) * 4, &pte, 4) ||
            !(pte & PTE_PRESENT))
            return false;
        *gpa = (pte & 0xfffff000u) | (linear & 0xfff);
        return true;
    }

    /* PAE and long mode: 8-byte entries, 9 index bits per level (2 at the PAE top level). */
    int levels;
    uint64_t table;
    if (sregs->efer & EFER_LMA) {
        levels = (sregs->cr4 & CR4_LA57) ? 5 : 4;
        table = sregs->cr3 & PTE_FRAME;
    } else {
        uint64_t pointer;
        if (!memory_read(vm->mem, (sregs->cr3 & 0xffffffe0ull) + ((linear >> 30) & 3) * 8, &pointer,
                         8) ||
            !(pointer & PTE_PRESENT))
            return false;
        levels = 2;
        table = pointer & PTE_FRAME;
    }
    for (int level = levels; level >= 1; level--) {
        unsigned shift = 12 + 9 * (level - 1);
        uint64_t entry;
        if (!memory_read(vm->mem, table + ((linear >> shift) & 0x1ff) * 8, &entry, 8) ||
            !(entry & PTE_PRESENT))
            return false;
        if (level == 1 || ((level == 2 || level == 3) && (entry & PTE_LARGE))) {
            uint64_t page_mask = (1ull << shift) - 1;
            *gpa = ((entry & PTE_FRAME) & ~page_mask) | (linear & page_mask);
            return true;
        }
        table = entry & PTE_FRAME;
    }
    return false;
}

/* Appends the instruction bytes at RIP; returns how many it could read into bytes[16]. */
static unsigned dump_code(struct vcpu *vcpu, const struct kvm_sregs *sregs,
                          const struct kvm_regs *regs, uint8_t bytes[16], GString *out)
{
    bool long_mode = (sregs->efer & EFER_LMA) && sregs->cs.l;
    uint64_t linear = long_mode ? regs->rip : sregs->cs.base + (regs->rip & 0xffffffffull);
    unsigned readable = 0;
    uint64_t first_gpa = 0;

    for (unsigned i = 0; i < 16; i++) {
        uint64_t gpa;
        if (!translate_linear(vcpu->vm, sregs, linear + i, &gpa) ||
            !memory_read(vcpu->vm->mem, gpa, &bytes[i], 1))
            break;
        if (i == 0)
            first_gpa = gpa;
        readable++;
    }
    if (!readable) {
        g_string_append_printf(out, "  code at 0x%" PRIx64 ": not in guest RAM or not mapped",
                               linear);
        return 0;
    }
    g_string_append_printf(out, "  code at 0x%" PRIx64 " (guest-physical 0x%" PRIx64 "):", linear,
                           first_gpa);
    for (unsigned i = 0; i < readable; i++)
        g_string_append_printf(out, " %02x", bytes[i]);
    return readable;
}

/*
 * The instructions a software-assisted (nested, PVM-style) KVM is known to fail on in guest
 * kernel mode: the reason stock Linux cannot boot under such a /dev/kvm. NULL for others.
 */
static const char *unemulatable_instruction(const uint8_t *bytes, unsigned length)
{
    unsigned i = 0;
    bool rex_w = false;
    /* Legacy prefixes, then at most one REX prefix. */
    while (i < length && strchr("\xf0\xf2\xf3\x2e\x36\x3e\x26\x64\x65\x66\x67", bytes[i]) &&
           bytes[i])
        i++;
    if (i < length && (bytes[i] & 0xf0) == 0x40) {
        rex_w = bytes[i] & 0x08;
        i++;
    }
    if (i >= length)
        return NULL;
    if (bytes[i] == 0xcc)
        return "int3";
    if (bytes[i] != 0x0f || i + 2 >= length)
        return NULL;
    uint8_t opcode = bytes[i + 1], modrm = bytes[i + 2];
    unsigned reg = (modrm >> 3) & 7, mod = modrm >> 6;
    if (opcode == 0xc7 && reg == 1 && mod != 3)
        return rex_w ? "cmpxchg16b" : "cmpxchg8b";
    if (opcode == 0xae && mod != 3 && (reg == 5 || reg == 4 || reg == 1))
        return reg == 5 ? "xrstor" : (reg == 4 ? "xsave" : "fxrstor");
    if (opcode == 0xc7 && mod != 3 && (reg == 3 || reg == 5))
        return reg == 3 ? "xrstors" : "xsaves";
    return NULL;
}

/* After an emulation failure in guest kernel mode, say what it means for the user. */
static void explain_emulation_failure(struct vcpu *vcpu, const struct kvm_sregs *sregs,
                                      const uint8_t *bytes, unsigned length, GString *out)
{
    const struct kvm_run *run = vcpu->run;
    if (run->exit_reason != KVM_EXIT_INTERNAL_ERROR ||
        run->internal.suberror != KVM_INTERNAL_ERROR_EMULATION)
        return;
    const char *instruction = unemulatable_instruction(bytes, length);
    bool kernel_mode = sregs->cs.dpl == 0 && (sregs->cr0 & CR0_PE);
    if (!instruction || !kernel_mode) {
        g_string_append(out, "\n  KVM could not emulate the instruction above; the guest or this "
                             "host's KVM is at fault");
        return;
    }
    g_string_append_printf(
        out,
        "\n  This host's /dev/kvm cannot run this guest: it failed to emulate `%s` in guest "
        "kernel mode. Such a KVM (nested, software-assisted, as on some cloud machines) "
        "emulates guest kernel code instruction by instruction and cannot run stock Linux "
        "kernels. Run the machine on a host with hardware KVM, or inside an outer VM that "
        "has one: `make run-nested` (scripts/x86/nested-run).",
        instruction);
}

static void dump_segment(GString *out, const char *name, const struct kvm_segment *segment)
{
    g_string_append_printf(out, "  %s=%04x base=0x%016llx limit=0x%08x type=%x%s%s%s%s\n", name,
                           segment->selector, (unsigned long long)segment->base, segment->limit,
                           segment->type, segment->present ? " P" : " not-present",
                           segment->l ? " L" : "", segment->db ? " D" : "", segment->g ? " G" : "");
}

static const char *cpu_mode_name(const struct kvm_sregs *sregs)
{
    if (!(sregs->cr0 & CR0_PE))
        return "real mode";
    if (sregs->efer & EFER_LMA)
        return sregs->cs.l ? "64-bit long mode" : "compatibility mode";
    return (sregs->cr0 & CR0_PG) ? "protected mode, paging" : "protected mode";
}

static void x86_dump_registers(struct vcpu *vcpu, GString *out)
{
    struct kvm_regs regs;
    struct kvm_sregs sregs;

    if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 || ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0) {
        g_string_append_printf(out, "  (registers unavailable: %s)", g_strerror(errno));
        return;
    }
    g_string_append_printf(out,
                           "  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n"
                           "  rsi=%016llx rdi=%016llx rsp=%016llx rbp=%016llx\n"
                           "  r8 =%016llx r9 =%016llx r10=%016llx r11=%016llx\n"
                           "  r12=%016llx r13=%016llx r14=%016llx r15=%016llx\n"
                           "  rip=%016llx rflags=%08llx (%s)\n",
                           regs.rax, regs.rbx, regs.rcx, regs.rdx, regs.rsi, regs.rdi, regs.rsp,
                           regs.rbp, regs.r8, regs.r9, regs.r10, regs.r11, regs.r12, regs.r13,
                           regs.r14, regs.r15, regs.rip, regs.rflags, cpu_mode_name(&sregs));
    dump_segment(out, "cs", &sregs.cs);
    dump_segment(out, "ds", &sregs.ds);
    dump_segment(out, "ss", &sregs.ss);
    g_string_append_printf(out,
                           "  gdt=0x%llx/0x%x idt=0x%llx/0x%x\n"
                           "  cr0=%08llx cr2=%016llx cr3=%016llx cr4=%08llx efer=%llx\n",
                           sregs.gdt.base, sregs.gdt.limit, sregs.idt.base, sregs.idt.limit,
                           sregs.cr0, sregs.cr2, sregs.cr3, sregs.cr4, sregs.efer);
    uint8_t bytes[16];
    unsigned length = dump_code(vcpu, &sregs, &regs, bytes, out);
    explain_emulation_failure(vcpu, &sregs, bytes, length, out);
}

const struct arch_ops x86_arch_ops = {
    .arch = VMB_ARCH_X86_64,
    .name = "x86_64",
    .vm_init = x86_vm_init,
    .load = x86_load,
    .vcpu_init = x86_vcpu_init,
    .dump_registers = x86_dump_registers,
    .irq_line_encode = x86_irq_line_encode,
    .vm_destroy = x86_vm_destroy,
    .mmio_shadow = true,
};
