/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ACPI Machine Language encoder: see aml.h. */
#include "config.h"

#include "aml.h"

#include <string.h>

/* Opcodes and prefixes (ACPI specification, "AML Byte Stream Byte Values"). */
#define AML_ZERO_OP           0x00
#define AML_ONE_OP            0x01
#define AML_NAME_OP           0x08
#define AML_BYTE_PREFIX       0x0a
#define AML_WORD_PREFIX       0x0b
#define AML_DWORD_PREFIX      0x0c
#define AML_STRING_PREFIX     0x0d
#define AML_QWORD_PREFIX      0x0e
#define AML_SCOPE_OP          0x10
#define AML_BUFFER_OP         0x11
#define AML_PACKAGE_OP        0x12
#define AML_DUAL_NAME_PREFIX  0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define AML_EXT_OP_PREFIX     0x5b
#define AML_DEVICE_OP         0x82 /* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR         '\\'
#define AML_PARENT_PREFIX     '^'
#define AML_NULL_NAME         0x00

/* Resource descriptor tags ("Resource Data Types for ACPI"). */
#define RESOURCE_IO             0x47 /* small item 0x08, 7 bytes */
#define RESOURCE_END            0x79 /* small item 0x0f, 1 byte */
#define RESOURCE_MEMORY32_FIXED 0x86
#define RESOURCE_INTERRUPT      0x89
#define RESOURCE_QWORD_ADDRESS  0x8a

#define NAME_SEGMENT_LENGTH 4
#define MAX_NAME_SEGMENTS   255

static void put_byte(GByteArray *out, uint8_t value)
{
    g_byte_array_append(out, &value, 1);
}

static void put_le(GByteArray *out, uint64_t value, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        put_byte(out, (uint8_t)(value >> (8 * i)));
}

bool aml_append_pkg_length(GByteArray *out, size_t body_length)
{
    /* The encoded length counts its own bytes: one byte holds up to 63, and each further
     * byte adds 8 bits above the lead byte's low 4. */
    for (unsigned extra = 0; extra <= 3; extra++) {
        size_t total = body_length + 1 + extra;
        size_t limit = extra == 0 ? 0x40 : (size_t)1 << (4 + 8 * extra);
        if (total >= limit)
            continue;
        if (extra == 0) {
            put_byte(out, (uint8_t)total);
            return true;
        }
        put_byte(out, (uint8_t)((extra << 6) | (total & 0x0f)));
        for (unsigned i = 0; i < extra; i++)
            put_byte(out, (uint8_t)(total >> (4 + 8 * i)));
        return true;
    }
    return false;
}

static bool name_lead_char(char c)
{
    return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
    return name_lead_char(c) || (c >= '0' && c <= '9');
}

/* Skip the '\' or '^' prefixes; returns where the segments start. */
static const char *name_segments_start(const char *path)
{
    if (*path == AML_ROOT_CHAR)
        return path + 1;
    while (*path == AML_PARENT_PREFIX)
        path++;
    return path;
}

bool aml_name_valid(const char *path)
{
    if (!path)
        return false;
    const char *p = name_segments_start(path);
    if (*p == '\0')
        return p != path; /* "\" (the root) or "^" alone; "" is no name */
    unsigned segments = 0;
    while (*p) {
        size_t length = 0;
        if (!name_lead_char(*p))
            return false;
        while (p[length] && p[length] != '.') {
            if (!name_char(p[length]) || ++length > NAME_SEGMENT_LENGTH)
                return false;
        }
        p += length;
        if (*p == '.' && *++p == '\0')
            return false; /* a trailing dot */
        if (++segments > MAX_NAME_SEGMENTS)
            return false;
    }
    return true;
}

void aml_append_name_string(GByteArray *out, const char *path)
{
    const char *p = name_segments_start(path);
    g_byte_array_append(out, (const guint8 *)path, (guint)(p - path));

    unsigned segments = 0;
    for (const char *q = p; *q; q++)
        segments += q == p || q[-1] == '.';
    if (segments == 0) {
        put_byte(out, AML_NULL_NAME);
        return;
    }
    if (segments == 2) {
        put_byte(out, AML_DUAL_NAME_PREFIX);
    } else if (segments > 2) {
        put_byte(out, AML_MULTI_NAME_PREFIX);
        put_byte(out, (uint8_t)segments);
    }
    while (*p) {
        size_t length = strcspn(p, ".");
        g_byte_array_append(out, (const guint8 *)p, (guint)length);
        for (size_t i = length; i < NAME_SEGMENT_LENGTH; i++)
            put_byte(out, '_');
        p += length;
        if (*p == '.')
            p++;
    }
}

void aml_append_integer(GByteArray *out, uint64_t value)
{
    if (value == 0) {
        put_byte(out, AML_ZERO_OP);
    } else if (value == 1) {
        put_byte(out, AML_ONE_OP);
    } else if (value <= UINT8_MAX) {
        put_byte(out, AML_BYTE_PREFIX);
        put_le(out, value, 1);
    } else if (value <= UINT16_MAX) {
        put_byte(out, AML_WORD_PREFIX);
        put_le(out, value, 2);
    } else if (value <= UINT32_MAX) {
        put_byte(out, AML_DWORD_PREFIX);
        put_le(out, value, 4);
    } else {
        put_byte(out, AML_QWORD_PREFIX);
        put_le(out, value, 8);
    }
}

void aml_append_string(GByteArray *out, const char *text)
{
    put_byte(out, AML_STRING_PREFIX);
    g_byte_array_append(out, (const guint8 *)text, (guint)strlen(text) + 1);
}

void aml_append_name(GByteArray *out, const char *name, const GByteArray *object)
{
    put_byte(out, AML_NAME_OP);
    aml_append_name_string(out, name);
    g_byte_array_append(out, object->data, object->len);
}

void aml_append_name_integer(GByteArray *out, const char *name, uint64_t value)
{
    put_byte(out, AML_NAME_OP);
    aml_append_name_string(out, name);
    aml_append_integer(out, value);
}

void aml_append_name_string_object(GByteArray *out, const char *name, const char *text)
{
    put_byte(out, AML_NAME_OP);
    aml_append_name_string(out, name);
    aml_append_string(out, text);
}

/* PkgLength, then `head` (name string or count), then the body. */
static bool append_with_length(GByteArray *out, const GByteArray *head, const uint8_t *body,
                               size_t body_length)
{
    if (!aml_append_pkg_length(out, head->len + body_length))
        return false;
    g_byte_array_append(out, head->data, head->len);
    g_byte_array_append(out, body, (guint)body_length);
    return true;
}

static bool append_named_block(GByteArray *out, const uint8_t *opcode, unsigned opcode_length,
                               const char *name, const GByteArray *body)
{
    GByteArray *head = g_byte_array_new();
    aml_append_name_string(head, name);
    guint mark = out->len;
    g_byte_array_append(out, opcode, opcode_length);
    bool ok = append_with_length(out, head, body->data, body->len);
    if (!ok)
        g_byte_array_set_size(out, mark);
    g_byte_array_unref(head);
    return ok;
}

bool aml_append_scope(GByteArray *out, const char *name, const GByteArray *body)
{
    static const uint8_t opcode[] = {AML_SCOPE_OP};
    return append_named_block(out, opcode, sizeof(opcode), name, body);
}

bool aml_append_device(GByteArray *out, const char *name, const GByteArray *body)
{
    static const uint8_t opcode[] = {AML_EXT_OP_PREFIX, AML_DEVICE_OP};
    return append_named_block(out, opcode, sizeof(opcode), name, body);
}

bool aml_append_package(GByteArray *out, unsigned element_count, const GByteArray *elements)
{
    if (element_count > UINT8_MAX)
        return false; /* VarPackageOp territory; nothing here needs it */
    GByteArray *head = g_byte_array_new();
    put_byte(head, (uint8_t)element_count);
    guint mark = out->len;
    put_byte(out, AML_PACKAGE_OP);
    bool ok = append_with_length(out, head, elements->data, elements->len);
    if (!ok)
        g_byte_array_set_size(out, mark);
    g_byte_array_unref(head);
    return ok;
}

bool aml_append_buffer(GByteArray *out, const uint8_t *data, size_t length)
{
    GByteArray *head = g_byte_array_new();
    aml_append_integer(head, length);
    guint mark = out->len;
    put_byte(out, AML_BUFFER_OP);
    bool ok = append_with_length(out, head, data, length);
    if (!ok)
        g_byte_array_set_size(out, mark);
    g_byte_array_unref(head);
    return ok;
}

bool aml_append_unicode(GByteArray *out, const char *text)
{
    GByteArray *units = g_byte_array_new();
    for (const char *p = text; *p; p++)
        put_le(units, (uint8_t)*p & 0x7f, 2);
    put_le(units, 0, 2);
    bool ok = aml_append_buffer(out, units->data, units->len);
    g_byte_array_unref(units);
    return ok;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool aml_is_eisa_id(const char *id)
{
    if (!id || strlen(id) != 7)
        return false;
    for (int i = 0; i < 3; i++) {
        if (id[i] < 'A' || id[i] > 'Z')
            return false;
    }
    for (int i = 3; i < 7; i++) {
        if (hex_digit(id[i]) < 0)
            return false;
    }
    return true;
}

uint32_t aml_eisa_id(const char *id)
{
    /* Three 5-bit letters ('A' is 1) and four hex digits, most significant first, stored
     * with its bytes swapped so that the letters come first in memory. */
    uint32_t value = (uint32_t)(id[0] - '@') << 26 | (uint32_t)(id[1] - '@') << 21 |
                     (uint32_t)(id[2] - '@') << 16;
    for (int i = 3; i < 7; i++)
        value |= (uint32_t)hex_digit(id[i]) << (4 * (6 - i));
    return GUINT32_SWAP_LE_BE(value);
}

void aml_append_id(GByteArray *out, const char *id)
{
    if (aml_is_eisa_id(id)) {
        /* Always a DWord, as firmware writes EisaId(), so the id is recognisable in a dump. */
        put_byte(out, AML_DWORD_PREFIX);
        put_le(out, aml_eisa_id(id), 4);
    } else {
        aml_append_string(out, id);
    }
}

/* ---- resource templates ------------------------------------------------------------------ */

void aml_resource_io(GByteArray *rt, uint16_t base, uint8_t length)
{
    put_byte(rt, RESOURCE_IO);
    put_byte(rt, 0x01);  /* decodes 16 address bits */
    put_le(rt, base, 2); /* minimum base */
    put_le(rt, base, 2); /* maximum base: the same, the ports are fixed */
    put_byte(rt, 1);     /* alignment */
    put_byte(rt, length);
}

void aml_resource_memory32_fixed(GByteArray *rt, uint32_t base, uint32_t length)
{
    put_byte(rt, RESOURCE_MEMORY32_FIXED);
    put_le(rt, 9, 2);   /* length of what follows */
    put_byte(rt, 0x01); /* read-write */
    put_le(rt, base, 4);
    put_le(rt, length, 4);
}

void aml_resource_qword_memory(GByteArray *rt, uint64_t base, uint64_t length)
{
    put_byte(rt, RESOURCE_QWORD_ADDRESS);
    put_le(rt, 43, 2);  /* length of what follows */
    put_byte(rt, 0);    /* resource type: memory */
    put_byte(rt, 0x0d); /* consumer, minimum and maximum fixed, positive decode */
    put_byte(rt, 0x01); /* read-write, non-cacheable */
    put_le(rt, 0, 8);   /* granularity */
    put_le(rt, base, 8);
    put_le(rt, base + length - 1, 8);
    put_le(rt, 0, 8); /* translation offset */
    put_le(rt, length, 8);
}

void aml_resource_interrupt(GByteArray *rt, uint32_t gsi, unsigned flags)
{
    put_byte(rt, RESOURCE_INTERRUPT);
    put_le(rt, 6, 2);                               /* length of what follows */
    put_byte(rt, (uint8_t)(0x01 | (flags & 0x0e))); /* consumer, mode, polarity, sharing */
    put_byte(rt, 1);                                /* one interrupt number */
    put_le(rt, gsi, 4);
}

void aml_resource_end(GByteArray *rt)
{
    put_byte(rt, RESOURCE_END);
    put_byte(rt, 0); /* zero: "the checksum is not computed" (spec) */
}

uint8_t acpi_checksum(const uint8_t *data, size_t length)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < length; i++)
        sum += data[i];
    return (uint8_t)-sum;
}
