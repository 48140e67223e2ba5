/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * x86 vCPU identity and start state: CPUID (what KVM supports, with each vCPU's APIC ids and
 * a topology matching the board's cpu count), a few MSRs a fresh CPU has, and the registers
 * the bootstrap processor starts with in real, 32-bit protected or 64-bit long mode.
 */
#include "config.h"

#include "arch/x86/x86.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/cpu-features.h"
#include "board.h"
#include "util.h"
#include "vcpu.h"
#include "vm.h"

#define CPUID_MAX_ENTRIES   1024
#define CPUID_SPARE_ENTRIES 8 /* room for leaves we add: topology 0xb/0x1f, signature */

#define CPUID_1_ECX_HYPERVISOR   (1u << 31)
#define CPUID_1_EDX_HTT          (1u << 28)
#define CPUID_LEVEL_TYPE_SMT     1u
#define CPUID_LEVEL_TYPE_CORE    2u
#define CPUID_KVM_SIGNATURE_LEAF 0x40000000u
#define CPUID_KVM_FEATURES_LEAF  0x40000001u
#define CPUID_AMD_VENDOR_EBX     0x68747541u /* "Auth" of "AuthenticAMD" */

#define MSR_IA32_MISC_ENABLE    0x000001a0u
#define MISC_ENABLE_FAST_STRING 0x1ull
#define MSR_MTRR_DEF_TYPE       0x000002ffu
#define MTRR_DEF_TYPE_ENABLE    (1ull << 11)
#define MTRR_TYPE_WRITE_BACK    6ull

#define CR0_PE              (1ull << 0)
#define CR0_MP              (1ull << 1)
#define CR0_ET              (1ull << 4)
#define CR0_NE              (1ull << 5)
#define CR0_WP              (1ull << 16)
#define CR0_PG              (1ull << 31)
#define CR4_PAE             (1ull << 5)
#define CR4_OSFXSR          (1ull << 9)
#define CR4_OSXMMEXCPT      (1ull << 10)
#define EFER_LME            (1ull << 8)
#define EFER_LMA            (1ull << 10)
#define RFLAGS_RESERVED_ONE 0x2ull

#define SEGMENT_TYPE_CODE_READ_ACCESSED  0xb
#define SEGMENT_TYPE_DATA_WRITE_ACCESSED 0x3

bool x86_cpuid_init(struct vm *vm, GError **error)
{
    struct x86_state *state = vm->arch_state;

    for (unsigned capacity = 128; capacity <= CPUID_MAX_ENTRIES; capacity *= 2) {
        struct kvm_cpuid2 *cpuid = g_malloc0(sizeof(*cpuid) + (capacity + CPUID_SPARE_ENTRIES) *
                                                                  sizeof(cpuid->entries[0]));
        cpuid->nent = capacity;
        if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0) {
            state->supported_cpuid = cpuid;
            return true;
        }
        int saved = errno;
        g_free(cpuid);
        if (saved != E2BIG) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_KVM, "KVM_GET_SUPPORTED_CPUID failed: %s",
                        g_strerror(saved));
            return false;
        }
    }
    g_set_error(error, VMB_ERROR, VMB_ERROR_KVM,
                "KVM_GET_SUPPORTED_CPUID reports more than %d leaves", CPUID_MAX_ENTRIES);
    return false;
}

/* Bits needed to number `count` cores: 0 for 1, 1 for 2, 2 for 3..4, ... */
static unsigned id_bits(unsigned count)
{
    unsigned bits = 0;
    while ((1u << bits) < count)
        bits++;
    return bits;
}

static struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *cpuid, uint32_t function,
                                           uint32_t index)
{
    for (uint32_t i = 0; i < cpuid->nent; i++) {
        struct kvm_cpuid_entry2 *entry = &cpuid->entries[i];
        if (entry->function == function &&
            (!(entry->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || entry->index == index))
            return entry;
    }
    return NULL;
}

/*
 * One socket of `cpus` cores, one thread per core; APIC id = vCPU index, as KVM assigns it
 * by default. Leaves describing the topology must agree so the guest counts the same CPUs
 * whichever leaf it trusts.
 */
static void cpuid_set_topology(struct kvm_cpuid2 *cpuid, unsigned cpus, uint32_t apic_id, bool amd)
{
    unsigned core_bits = id_bits(cpus);
    uint32_t addressable = MIN(1u << core_bits, 255u);

    for (uint32_t i = 0; i < cpuid->nent; i++) {
        struct kvm_cpuid_entry2 *entry = &cpuid->entries[i];
        switch (entry->function) {
        case 1:
            entry->ebx = (entry->ebx & 0x0000ffffu) | (apic_id << 24) | (addressable << 16);
            if (cpus > 1)
                entry->edx |= CPUID_1_EDX_HTT;
            else
                entry->edx &= ~CPUID_1_EDX_HTT;
            entry->ecx |= CPUID_1_ECX_HYPERVISOR;
            break;
        case 4: {
            /* Deterministic cache parameters: L1/L2 per core, L3 shared by the socket. */
            if ((entry->eax & 0x1f) == 0)
                break; /* no more caches */
            unsigned level = (entry->eax >> 5) & 0x7;
            uint32_t sharing = level >= 3 ? addressable - 1 : 0;
            entry->eax = (entry->eax & 0x3fffu) | (sharing << 14) | ((addressable - 1) << 26);
            break;
        }
        case 0x80000008:
            if (amd)
                entry->ecx = (entry->ecx & ~0xf0ffu) | (core_bits << 12) | (cpus - 1);
            break;
        case 0x8000001d:
            /* AMD cache topology: as leaf 4, L3 shared by the socket. */
            if (amd && (entry->eax & 0x1f)) {
                unsigned level = (entry->eax >> 5) & 0x7;
                uint32_t sharing = level >= 3 ? addressable - 1 : 0;
                entry->eax = (entry->eax & ~(0xfffu << 14)) | (sharing << 14);
            }
            break;
        case 0x8000001e:
            if (amd) {
                entry->eax = apic_id;
                entry->ebx = (entry->ebx & ~0xffffu) | (apic_id & 0xff); /* 1 thread per core */
                entry->ecx &= ~0x7ffu;                                   /* node 0 of 1 */
            }
            break;
        default:
            break;
        }
    }
}

/*
 * Extended topology (leaves 0xb and 0x1f): level 0 is SMT with one thread, level 1 the cores,
 * level 2 ends the list. Written whole, since KVM may list only some subleaves.
 */
static void cpuid_append_extended_topology(struct kvm_cpuid2 *cpuid, uint32_t function,
                                           unsigned cpus, uint32_t apic_id)
{
    static const uint32_t level_type[] = {CPUID_LEVEL_TYPE_SMT, CPUID_LEVEL_TYPE_CORE, 0};

    for (uint32_t level = 0; level < G_N_ELEMENTS(level_type); level++) {
        struct kvm_cpuid_entry2 *entry = &cpuid->entries[cpuid->nent++];
        memset(entry, 0, sizeof(*entry));
        entry->function = function;
        entry->index = level;
        entry->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
        entry->eax = level == 1 ? id_bits(cpus) : 0;
        entry->ebx = level == 0 ? 1 : (level == 1 ? cpus : 0);
        entry->ecx = (level_type[level] << 8) | level;
        entry->edx = apic_id;
    }
}

static void cpuid_set_hypervisor_signature(struct kvm_cpuid2 *cpuid)
{
    struct kvm_cpuid_entry2 *entry = cpuid_find(cpuid, CPUID_KVM_SIGNATURE_LEAF, 0);
    if (!entry) {
        /* x86_cpuid_init left CPUID_SPARE_ENTRIES free slots for this. */
        entry = &cpuid->entries[cpuid->nent++];
        memset(entry, 0, sizeof(*entry));
        entry->function = CPUID_KVM_SIGNATURE_LEAF;
        entry->eax = CPUID_KVM_FEATURES_LEAF;
    }
    static const char signature[12] = "KVMKVMKVM\0\0\0";
    memcpy(&entry->ebx, signature, 4);
    memcpy(&entry->ecx, signature + 4, 4);
    memcpy(&entry->edx, signature + 8, 4);
}

static uint32_t *cpuid_register(struct kvm_cpuid_entry2 *entry, enum x86_cpuid_register reg)
{
    switch (reg) {
    case X86_CPUID_EAX:
        return &entry->eax;
    case X86_CPUID_EBX:
        return &entry->ebx;
    case X86_CPUID_ECX:
        return &entry->ecx;
    default:
        return &entry->edx;
    }
}

static const struct x86_cpu_feature *feature_lookup(const char *name)
{
    for (size_t i = 0; i < X86_CPU_FEATURE_COUNT; i++) {
        if (strcmp(x86_cpu_features[i].name, name) == 0)
            return &x86_cpu_features[i];
    }
    return NULL;
}

static void feature_clear(struct kvm_cpuid2 *cpuid, const char *name)
{
    const struct x86_cpu_feature *feature = feature_lookup(name);
    struct kvm_cpuid_entry2 *entry =
        feature ? cpuid_find(cpuid, feature->leaf, feature->subleaf) : NULL;
    if (entry)
        *cpuid_register(entry, feature->reg) &= ~feature->mask;
}

/*
 * Without XSAVE nothing that lives in XSAVE state may be offered either (AVX and its
 * relatives, OSXSAVE), and leaf 0xd, which describes that state, goes away.
 */
static void cpuid_remove_xsave(struct kvm_cpuid2 *cpuid)
{
    static const char *const dependents[] = {"avx", "fma", "f16c", "avx2", "avx512f", "pku"};
    for (size_t i = 0; i < G_N_ELEMENTS(dependents); i++)
        feature_clear(cpuid, dependents[i]);
    struct kvm_cpuid_entry2 *basic = cpuid_find(cpuid, 1, 0);
    if (basic)
        basic->ecx &= ~(1u << 27); /* OSXSAVE */
    struct kvm_cpuid_entry2 *extended = cpuid_find(cpuid, 7, 0);
    if (extended)
        extended->ebx &= ~0xdc230000u; /* the AVX-512 family */
    uint32_t kept = 0;
    for (uint32_t i = 0; i < cpuid->nent; i++) {
        if (cpuid->entries[i].function != 0xd)
            cpuid->entries[kept++] = cpuid->entries[i];
    }
    cpuid->nent = kept;
}

/* The board's `cpu: {features: ...}`: off clears the feature, on requires KVM to offer it. */
static bool cpuid_apply_board_features(struct kvm_cpuid2 *cpuid, const struct board *board,
                                       GError **error)
{
    for (guint i = 0; board->cpu_features && i < board->cpu_features->len; i++) {
        const struct board_cpu_feature *wanted =
            &g_array_index(board->cpu_features, struct board_cpu_feature, i);
        const struct x86_cpu_feature *feature = feature_lookup(wanted->name);
        if (!feature)
            continue; /* the parser refused unknown names */
        struct kvm_cpuid_entry2 *entry = cpuid_find(cpuid, feature->leaf, feature->subleaf);
        if (wanted->enabled) {
            if (!entry || (*cpuid_register(entry, feature->reg) & feature->mask) != feature->mask) {
                g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                            "%s: CPU feature '%s' is not offered by this host's KVM",
                            board_loc_str(&wanted->loc), wanted->name);
                return false;
            }
            continue;
        }
        if (entry)
            *cpuid_register(entry, feature->reg) &= ~feature->mask;
        if (strcmp(wanted->name, "xsave") == 0)
            cpuid_remove_xsave(cpuid);
    }
    return true;
}

bool x86_vcpu_setup_cpuid(struct vcpu *vcpu, GError **error)
{
    const struct x86_state *state = vcpu->vm->arch_state;
    const struct kvm_cpuid2 *supported = state->supported_cpuid;
    size_t bytes = sizeof(*supported) +
                   (supported->nent + CPUID_SPARE_ENTRIES) * sizeof(supported->entries[0]);
    struct kvm_cpuid2 *cpuid = g_malloc0(bytes);

    /* Everything but the extended topology leaves, which are rebuilt below. */
    bool has_leaf_b = false, has_leaf_1f = false;
    for (uint32_t i = 0; i < supported->nent; i++) {
        const struct kvm_cpuid_entry2 *entry = &supported->entries[i];
        has_leaf_b |= entry->function == 0xb;
        has_leaf_1f |= entry->function == 0x1f;
        if (entry->function != 0xb && entry->function != 0x1f)
            cpuid->entries[cpuid->nent++] = *entry;
    }
    struct kvm_cpuid_entry2 *vendor = cpuid_find(cpuid, 0, 0);
    bool amd = vendor && vendor->ebx == CPUID_AMD_VENDOR_EBX;
    unsigned cpus = vcpu->vm->board->cpus;
    cpuid_set_topology(cpuid, cpus, vcpu->index, amd);
    if (has_leaf_b)
        cpuid_append_extended_topology(cpuid, 0xb, cpus, vcpu->index);
    if (has_leaf_1f)
        cpuid_append_extended_topology(cpuid, 0x1f, cpus, vcpu->index);
    cpuid_set_hypervisor_signature(cpuid);
    if (!cpuid_apply_board_features(cpuid, vcpu->vm->board, error)) {
        g_free(cpuid);
        return false;
    }

    int ret = ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid);
    int saved = errno;
    g_free(cpuid);
    if (ret < 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM, "KVM_SET_CPUID2 failed: %s",
                    g_strerror(saved));
        return false;
    }
    return true;
}

bool x86_vcpu_setup_msrs(struct vcpu *vcpu, GError **error)
{
    /* What firmware leaves a CPU with: fast string operations on, write-back memory. */
    static const struct kvm_msr_entry wanted[] = {
        {.index = MSR_IA32_MISC_ENABLE, .data = MISC_ENABLE_FAST_STRING},
        {.index = MSR_MTRR_DEF_TYPE, .data = MTRR_DEF_TYPE_ENABLE | MTRR_TYPE_WRITE_BACK},
    };
    struct {
        struct kvm_msrs header;
        struct kvm_msr_entry entries[G_N_ELEMENTS(wanted)];
    } msrs;

    memset(&msrs, 0, sizeof(msrs));
    msrs.header.nmsrs = G_N_ELEMENTS(wanted);
    memcpy(msrs.entries, wanted, sizeof(wanted));
    int set = ioctl(vcpu->fd, KVM_SET_MSRS, &msrs);
    if (set < 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM, "KVM_SET_MSRS failed: %s", g_strerror(errno));
        return false;
    }
    /* KVM stops at the first MSR it refuses; a guest runs without these, so say so only. */
    if ((unsigned)set < G_N_ELEMENTS(wanted))
        vmb_log_debug("vCPU %u: KVM refused MSR 0x%x", vcpu->index, wanted[set].index);
    return true;
}

static void segment_flat(struct kvm_segment *segment, uint16_t selector, uint8_t type)
{
    *segment = (struct kvm_segment){
        .base = 0,
        .limit = 0xffffffffu,
        .selector = selector,
        .type = type,
        .present = 1,
        .dpl = 0,
        .db = 1,
        .s = 1,
        .l = 0,
        .g = 1,
    };
}

static void segment_real(struct kvm_segment *segment, uint16_t selector, uint8_t type)
{
    *segment = (struct kvm_segment){
        .base = (uint64_t)selector << 4,
        .limit = 0xffff,
        .selector = selector,
        .type = type,
        .present = 1,
        .s = 1,
    };
}

static bool set_real_mode(struct kvm_sregs *sregs, struct kvm_regs *regs,
                          const struct x86_entry *entry, GError **error)
{
    if (entry->rip > 0xfffff) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "real-mode entry 0x%" PRIx64 " is above 1 MiB, which real mode "
                    "cannot reach",
                    entry->rip);
        return false;
    }
    /* The highest segment that reaches the entry, so IP stays small. */
    uint16_t code = (uint16_t)((entry->rip >> 4) & 0xf000);
    segment_real(&sregs->cs, code, SEGMENT_TYPE_CODE_READ_ACCESSED);
    /* Data segments equal CS: an image assembled with `org IP` finds its data. */
    segment_real(&sregs->ds, code, SEGMENT_TYPE_DATA_WRITE_ACCESSED);
    segment_real(&sregs->es, code, SEGMENT_TYPE_DATA_WRITE_ACCESSED);
    segment_real(&sregs->fs, code, SEGMENT_TYPE_DATA_WRITE_ACCESSED);
    segment_real(&sregs->gs, code, SEGMENT_TYPE_DATA_WRITE_ACCESSED);
    /* The stack lives in segment 0 (the loader chose SP below the image). */
    segment_real(&sregs->ss, 0, SEGMENT_TYPE_DATA_WRITE_ACCESSED);
    sregs->cr0 &= ~(CR0_PE | CR0_PG);
    sregs->cr4 = 0;
    sregs->efer = 0;
    regs->rip = entry->rip - ((uint64_t)code << 4);
    regs->rsp = entry->rsp & 0xffff;
    return true;
}

static uint16_t selector_or(uint16_t chosen, uint16_t fallback)
{
    return chosen ? chosen : fallback;
}

static void set_protected_mode(struct kvm_sregs *sregs, const struct x86_state *state)
{
    segment_flat(&sregs->cs, selector_or(state->code_selector, X86_GDT_CODE32),
                 SEGMENT_TYPE_CODE_READ_ACCESSED);
    segment_flat(&sregs->ds, selector_or(state->data_selector, X86_GDT_DATA),
                 SEGMENT_TYPE_DATA_WRITE_ACCESSED);
    sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
    /* Multiboot says the OS must not trust GDTR; we point it at our GDT when one exists. */
    sregs->gdt.base = state->gdt_gpa;
    sregs->gdt.limit = state->gdt_gpa ? X86_GDT_ENTRIES * 8 - 1 : 0;
    sregs->idt.base = 0;
    sregs->idt.limit = 0;
    sregs->cr0 = CR0_PE | CR0_ET;
    sregs->cr4 = 0;
    sregs->efer = 0;
}

static void set_long_mode(struct kvm_sregs *sregs, const struct x86_state *state)
{
    segment_flat(&sregs->cs, selector_or(state->code_selector, X86_GDT_CODE64),
                 SEGMENT_TYPE_CODE_READ_ACCESSED);
    sregs->cs.l = 1;
    sregs->cs.db = 0;
    segment_flat(&sregs->ds, selector_or(state->data_selector, X86_GDT_DATA),
                 SEGMENT_TYPE_DATA_WRITE_ACCESSED);
    sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
    sregs->gdt.base = state->gdt_gpa;
    sregs->gdt.limit = X86_GDT_ENTRIES * 8 - 1;
    sregs->idt.base = 0;
    sregs->idt.limit = 0;
    sregs->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    sregs->cr3 = state->pml4_gpa;
    sregs->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
    sregs->efer = EFER_LME | EFER_LMA;
}

bool x86_vcpu_apply_entry(struct vcpu *vcpu, const struct x86_state *state, GError **error)
{
    const struct x86_entry *entry = &state->entry;
    struct kvm_sregs sregs;
    struct kvm_regs regs;

    if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM, "KVM_GET_SREGS failed: %s", g_strerror(errno));
        return false;
    }
    memset(&regs, 0, sizeof(regs));
    regs.rflags = RFLAGS_RESERVED_ONE; /* interrupts off */
    regs.rip = entry->rip;
    regs.rsp = entry->rsp;
    regs.rax = entry->rax;
    regs.rbx = entry->rbx;
    regs.rsi = entry->rsi;

    switch (entry->mode) {
    case X86_MODE_REAL:
        if (!set_real_mode(&sregs, &regs, entry, error))
            return false;
        break;
    case X86_MODE_PROTECTED32:
        set_protected_mode(&sregs, state);
        break;
    case X86_MODE_LONG:
        if (!state->pml4_gpa || !state->gdt_gpa) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_FAILED,
                        "long-mode entry without page tables (loader bug)");
            return false;
        }
        set_long_mode(&sregs, state);
        break;
    default:
        g_set_error(error, VMB_ERROR, VMB_ERROR_FAILED, "unknown x86 entry mode %d",
                    (int)entry->mode);
        return false;
    }

    if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM, "KVM_SET_SREGS failed: %s", g_strerror(errno));
        return false;
    }
    if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM, "KVM_SET_REGS failed: %s", g_strerror(errno));
        return false;
    }

    /* x87 and SSE control words as after FNINIT and reset, so FPU/SSE code can run. */
    struct kvm_fpu fpu;
    memset(&fpu, 0, sizeof(fpu));
    fpu.fcw = 0x37f;
    fpu.mxcsr = 0x1f80;
    if (ioctl(vcpu->fd, KVM_SET_FPU, &fpu) < 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM, "KVM_SET_FPU failed: %s", g_strerror(errno));
        return false;
    }
    return true;
}
