/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small encoder for ACPI Machine Language (AML), enough for a DSDT that declares devices
 * with names, ids and resource templates: scopes, devices, named integers, strings, packages
 * and buffers. Encodings follow the ACPI specification, chapter "ACPI Machine Language (AML)
 * Specification", and the resource descriptors of chapter "ACPI-Defined Devices and Device
 * Specific Objects". Nothing here is x86 specific.
 *
 * Objects whose length prefixes their contents (scopes, devices, packages, buffers) are built
 * bottom up: encode the contents into their own GByteArray, then wrap them.
 */
#ifndef VMBOARD_AML_H
#define VMBOARD_AML_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A PkgLength covers itself and what follows; it encodes at most 2^28 - 1 bytes. */
#define AML_PKG_LENGTH_MAX ((1u << 28) - 1)

/* Append the PkgLength for `body_length` bytes that follow it; false if it cannot be encoded. */
bool aml_append_pkg_length(GByteArray *out, size_t body_length);

/* True when `path` is a name string this encoder accepts: an optional '\' or '^' prefixes,
 * then dot-separated segments of 1-4 characters from A-Z, 0-9 and '_' (not starting with a
 * digit), e.g. "\_SB.C000", "_HID", "^^DEV1". Short segments are padded with '_'. */
bool aml_name_valid(const char *path);
/* Append `path` as a NameString. The caller checked it with aml_name_valid(). */
void aml_append_name_string(GByteArray *out, const char *path);

/* The shortest encoding: ZeroOp, OneOp, or a Byte/Word/DWord/QWord prefix. */
void aml_append_integer(GByteArray *out, uint64_t value);
/* StringPrefix, the characters and a NUL; the caller keeps it ASCII 0x01-0x7f. */
void aml_append_string(GByteArray *out, const char *text);

/* Name (NAME, <object>): `object` is one already encoded data object. */
void aml_append_name(GByteArray *out, const char *name, const GByteArray *object);
void aml_append_name_integer(GByteArray *out, const char *name, uint64_t value);
void aml_append_name_string_object(GByteArray *out, const char *name, const char *text);

/* Wrappers for objects with a length; false only when the body is too long for a PkgLength. */
bool aml_append_scope(GByteArray *out, const char *name, const GByteArray *body);
bool aml_append_device(GByteArray *out, const char *name, const GByteArray *body);
bool aml_append_package(GByteArray *out, unsigned element_count, const GByteArray *elements);
bool aml_append_buffer(GByteArray *out, const uint8_t *data, size_t length);
/* Unicode("text") as ASL writes it: a buffer of UTF-16LE code units and a NUL unit. ASCII
 * input only. */
bool aml_append_unicode(GByteArray *out, const char *text);

/*
 * Compressed EISA ids ("PNP0501", "PNP0B00": three letters A-Z, four hex digits), which _HID
 * and _CID may give as an integer. aml_eisa_id() returns the 32-bit value as AML stores it.
 */
bool aml_is_eisa_id(const char *id);
uint32_t aml_eisa_id(const char *id);
/* _HID or _CID value: an EISA id as its integer, anything else as a string. */
void aml_append_id(GByteArray *out, const char *id);

/* ---- resource templates (the bytes of a _CRS buffer) ---------------------------------- */

/* Interrupt flags for aml_resource_interrupt(). */
#define AML_IRQ_LEVEL       0x0u /* level triggered (the default) */
#define AML_IRQ_EDGE        0x2u
#define AML_IRQ_ACTIVE_HIGH 0x0u /* active high (the default) */
#define AML_IRQ_ACTIVE_LOW  0x4u
#define AML_IRQ_SHARED      0x8u

/* IO (Decode16, base, base, 1, length): fixed ports; length 1-255. */
void aml_resource_io(GByteArray *rt, uint16_t base, uint8_t length);
/* Memory32Fixed (ReadWrite, base, length). */
void aml_resource_memory32_fixed(GByteArray *rt, uint32_t base, uint32_t length);
/* QWordMemory (ResourceConsumer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
 * 0, base, base + length - 1, 0, length), for windows above 4 GiB; length >= 1. */
void aml_resource_qword_memory(GByteArray *rt, uint64_t base, uint64_t length);
/* Interrupt (ResourceConsumer, <flags>) { gsi }: the extended interrupt descriptor. */
void aml_resource_interrupt(GByteArray *rt, uint32_t gsi, unsigned flags);
/* EndTag, which closes every resource template. */
void aml_resource_end(GByteArray *rt);

/* ---- tables ----------------------------------------------------------------------------- */

/* The 8-bit sum that makes `length` bytes add up to zero mod 256 when stored among them. */
uint8_t acpi_checksum(const uint8_t *data, size_t length);

#endif
