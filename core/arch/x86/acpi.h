/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ACPI tables for x86_64 boards, derived from the board alone: RSDP, XSDT, FADT (hardware-
 * reduced), MADT and a DSDT with one device per board device whose plugin declares an ACPI id.
 * Building needs no KVM and no running devices, so `vmboard dump acpi` works on any host;
 * x86_acpi_build() (x86.h) writes the same bytes into guest RAM. docs/x86.md describes the
 * tables and where each field comes from.
 */
#ifndef VMBOARD_ARCH_X86_ACPI_H
#define VMBOARD_ARCH_X86_ACPI_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct board;

/* Where the tables live: the BIOS area below 1 MiB, which the e820 map reserves and where
 * Linux also looks for the RSDP when no boot protocol field points at it. */
#define X86_ACPI_BASE 0xe0000ull
#define X86_ACPI_SIZE 0x20000ull

/* Inputs of the KVM in-kernel I/O APIC, which has GSIs 0-23. */
#define X86_IOAPIC_PINS 24

/*
 * The device types the FADT refers to by name, and the register contract of acpi-power
 * (plugins/acpi-power implements the same numbers; docs/devices.md states them).
 */
#define ACPI_POWER_TYPE          "acpi-power"
#define ACPI_POWER_SLEEP_CONTROL 0 /* byte: SLP_TYP in bits 2-4, SLP_EN bit 5 */
#define ACPI_POWER_SLEEP_STATUS  1 /* byte: WAK_STS bit 7 */
#define ACPI_POWER_RESET         2 /* byte: the FADT's RESET_VALUE resets the machine */
#define ACPI_POWER_RESET_VALUE   0x01
#define ACPI_POWER_S5_TYPE       5 /* the SLP_TYP \_S5 declares: power off */
#define ACPI_RTC_TYPE            "rtc-cmos"
#define ACPI_RTC_CENTURY_INDEX   0x32 /* CMOS byte holding the century (FADT CENTURY) */

struct acpi_table {
    char name[5];     /* signature ("DSDT", "FACP", "APIC", "XSDT"), "RSDP" for the root pointer */
    uint64_t address; /* guest-physical */
    GByteArray *bytes;
};

/*
 * The tables of a validated x86_64 board as placed from X86_ACPI_BASE, root pointer first:
 * a GPtrArray of struct acpi_table * (freeing the array frees them). NULL with *error when the
 * board cannot be described (not x86_64, an irq no I/O APIC pin serves, an ACPI id that is not
 * one, two power devices, too much to fit).
 */
GPtrArray *acpi_tables_build(const struct board *board, GError **error);

/*
 * Write each table to DIR/NAME.dat (creating DIR), the form `iasl -d` reads. The root pointer
 * has no table header, which iasl needs, so it goes to DIR/RSDP.bin, and `iasl -d` on every
 * .dat file decodes them all.
 */
bool acpi_tables_write_files(const GPtrArray *tables, const char *dir, GError **error);
/* "dat", or "bin" for the root pointer. */
const char *acpi_table_file_suffix(const struct acpi_table *table);

#endif
