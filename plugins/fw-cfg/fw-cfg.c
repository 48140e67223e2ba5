/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fw-cfg: QEMU's firmware configuration interface, so firmware and kernels that know it
 * (SeaBIOS, OVMF, Linux's qemu_fw_cfg driver) find the machine's facts and the user's files.
 *
 * Port I/O layout (12 ports, x86 boards put it at 0x510):
 *   +0  selector, 16-bit little-endian, write-only
 *   +1  data, read one byte at a time (wider reads return the next bytes in order)
 *   +4  DMA address, 64-bit big-endian; writing its low half (+8) starts the transfer
 * MMIO layout (0x18 bytes, arm64 boards):
 *   +0  data, 1 to 8 bytes per read, in item order
 *   +8  selector, 16-bit big-endian, write-only
 *   +16 DMA address, 64-bit big-endian; writing its low half (+20) starts the transfer
 *
 * Selecting a key no item has gives an empty item: data reads return 0x00. Reading past the
 * end of an item returns 0x00 as well. Every item is read-only.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <vmboard/plugin.h>

#define KEY_SIGNATURE    0x0000
#define KEY_ID           0x0001
#define KEY_UUID         0x0002
#define KEY_RAM_SIZE     0x0003
#define KEY_NB_CPUS      0x0005
#define KEY_MAX_CPUS     0x000f
#define KEY_CMDLINE_SIZE 0x0014
#define KEY_CMDLINE_DATA 0x0015
#define KEY_FILE_DIR     0x0019
#define KEY_FILE_FIRST   0x0020

#define KEY_WRITE_FLAG 0x4000 /* "write mode": writes through the data register are ignored */
#define KEY_ARCH_FLAG  0x8000 /* architecture-specific items: we define none */
#define KEY_INDEX_MASK 0x3fff

#define ID_TRADITIONAL 0x1
#define ID_DMA         0x2

#define DMA_CTL_ERROR  0x01
#define DMA_CTL_READ   0x02
#define DMA_CTL_SKIP   0x04
#define DMA_CTL_SELECT 0x08
#define DMA_CTL_WRITE  0x10

#define FILE_NAME_SIZE      56 /* NUL included */
#define FILE_DIR_ENTRY_SIZE 64
#define FILE_MAX_COUNT      (KEY_INDEX_MASK + 1 - KEY_FILE_FIRST)
#define FILE_MAX_BYTES      (1024ull * 1024 * 1024) /* a host file larger than this is a mistake */

#define PIO_WINDOW    12
#define PIO_SELECTOR  0
#define PIO_DATA      1
#define PIO_DMA       4
#define MMIO_WINDOW   0x18
#define MMIO_DATA     0
#define MMIO_SELECTOR 8
#define MMIO_DMA      16

struct fw_item {
    uint8_t *data;
    uint32_t len;
};

struct fw_file {
    char name[FILE_NAME_SIZE];
    char *path; /* NULL for built-in files */
    struct fw_item item;
};

struct fw_cfg {
    vmb_device *dev;
    const struct vmb_host *host;
    enum vmb_space space;
    uint64_t base;

    struct fw_item fixed[KEY_FILE_FIRST];
    struct fw_file *files; /* sorted by name; file i has key KEY_FILE_FIRST + i */
    size_t file_count;

    uint16_t selector;
    uint64_t offset;        /* into the selected item */
    uint8_t dma_address[8]; /* as the guest wrote it, in address order (big-endian) */
};

static const uint8_t dma_signature[8] = {'Q', 'E', 'M', 'U', ' ', 'C', 'F', 'G'};

static const struct vmb_prop_spec fw_cfg_props[] = {
    {"files", VMB_PROP_STRING, NULL, 0,
     "extra items as NAME=PATH,NAME2=PATH2 (host files read at start; names up to 55 bytes)"},
    {NULL, 0, NULL, 0, NULL},
};

/* ---- items ------------------------------------------------------------------------------ */

static void put_le(uint8_t *out, uint64_t value, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        out[i] = (uint8_t)(value >> (8 * i));
}

static void put_be(uint8_t *out, uint64_t value, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        out[i] = (uint8_t)(value >> (8 * (bytes - 1 - i)));
}

static uint64_t get_be(const uint8_t *in, unsigned bytes)
{
    uint64_t value = 0;
    for (unsigned i = 0; i < bytes; i++)
        value = value << 8 | in[i];
    return value;
}

static bool set_fixed(struct fw_cfg *fw, unsigned key, const void *data, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return false;
    memcpy(copy, data, len);
    free(fw->fixed[key].data);
    fw->fixed[key].data = copy;
    fw->fixed[key].len = (uint32_t)len;
    return true;
}

static bool set_fixed_le(struct fw_cfg *fw, unsigned key, uint64_t value, unsigned bytes)
{
    uint8_t buf[8];
    put_le(buf, value, bytes);
    return set_fixed(fw, key, buf, bytes);
}

static const struct fw_item *selected_item(const struct fw_cfg *fw)
{
    unsigned index = fw->selector & KEY_INDEX_MASK;

    if (fw->selector & KEY_ARCH_FLAG)
        return NULL;
    if (index < KEY_FILE_FIRST)
        return fw->fixed[index].data ? &fw->fixed[index] : NULL;
    index -= KEY_FILE_FIRST;
    return index < fw->file_count ? &fw->files[index].item : NULL;
}

static void select_item(struct fw_cfg *fw, uint16_t key)
{
    fw->selector = key;
    fw->offset = 0;
}

/* The next byte of the selected item, or 0 past its end or for an unknown key. */
static uint8_t next_data_byte(struct fw_cfg *fw)
{
    const struct fw_item *item = selected_item(fw);
    uint8_t byte = 0;

    if (item && fw->offset < item->len)
        byte = item->data[fw->offset];
    if (fw->offset < UINT32_MAX)
        fw->offset++;
    return byte;
}

static uint64_t read_data(struct fw_cfg *fw, unsigned size)
{
    uint64_t value = 0;

    /* Bytes come out in item order, so the guest's little-endian view preserves strings. */
    for (unsigned i = 0; i < size; i++)
        value |= (uint64_t)next_data_byte(fw) << (8 * i);
    return value;
}

/* ---- DMA -------------------------------------------------------------------------------- */

static bool dma_read_item(struct fw_cfg *fw, uint64_t address, uint32_t length)
{
    static const uint8_t zeros[4096];
    const struct fw_item *item = selected_item(fw);

    while (length) {
        const uint8_t *src = zeros;
        uint32_t chunk = length < sizeof(zeros) ? length : (uint32_t)sizeof(zeros);
        if (item && fw->offset < item->len) {
            src = item->data + fw->offset;
            if (item->len - fw->offset < chunk)
                chunk = (uint32_t)(item->len - fw->offset);
        }
        if (fw->host->mem_write(fw->dev, address, src, chunk) != 0) {
            fw->host->guest_error(fw->dev, "DMA read: guest range 0x%llx+%u is not RAM",
                                  (unsigned long long)address, chunk);
            return false;
        }
        address += chunk;
        length -= chunk;
        fw->offset += chunk;
    }
    return true;
}

static void dma_transfer(struct fw_cfg *fw, uint64_t descriptor)
{
    uint8_t raw[16];

    if (fw->host->mem_read(fw->dev, descriptor, raw, sizeof(raw)) != 0) {
        fw->host->guest_error(fw->dev, "DMA descriptor at 0x%llx is not in RAM",
                              (unsigned long long)descriptor);
        return;
    }
    uint32_t control = (uint32_t)get_be(raw, 4);
    uint32_t length = (uint32_t)get_be(raw + 4, 4);
    uint64_t address = get_be(raw + 8, 8);
    uint32_t result = 0;

    if (control & DMA_CTL_SELECT)
        select_item(fw, (uint16_t)(control >> 16));
    if (control & DMA_CTL_READ) {
        if (!dma_read_item(fw, address, length))
            result = DMA_CTL_ERROR;
    } else if (control & DMA_CTL_WRITE) {
        fw->host->guest_error(fw->dev, "DMA write to item 0x%04x refused: items are read-only",
                              fw->selector);
        result = DMA_CTL_ERROR;
    } else if (control & DMA_CTL_SKIP) {
        fw->offset += length;
    }

    uint8_t status[4];
    put_be(status, result, 4);
    if (fw->host->mem_write(fw->dev, descriptor, status, sizeof(status)) != 0)
        fw->host->guest_error(fw->dev, "DMA descriptor at 0x%llx: cannot write the status",
                              (unsigned long long)descriptor);
}

static uint64_t read_dma_register(unsigned offset, unsigned size)
{
    uint64_t value = 0;
    for (unsigned i = 0; i < size && offset + i < 8; i++)
        value |= (uint64_t)dma_signature[offset + i] << (8 * i);
    return value;
}

/* The register is big-endian: the high half is at +0, the low half at +4. Writing the low half
 * (alone or as part of a 64-bit write) starts the transfer and clears the register. */
static void write_dma_register(struct fw_cfg *fw, unsigned offset, uint64_t value, unsigned size)
{
    bool valid = (size == 4 && (offset == 0 || offset == 4)) || (size == 8 && offset == 0);

    if (!valid) {
        fw->host->guest_error(fw->dev,
                              "DMA address register: %u-byte write at +%u ignored "
                              "(write 32 bits at +0 and +4, or 64 bits at +0)",
                              size, offset);
        return;
    }
    for (unsigned i = 0; i < size; i++)
        fw->dma_address[offset + i] = (uint8_t)(value >> (8 * i));
    if (offset + size == 8) {
        uint64_t descriptor = get_be(fw->dma_address, 8);
        memset(fw->dma_address, 0, sizeof(fw->dma_address));
        dma_transfer(fw, descriptor);
    }
}

/* ---- registers -------------------------------------------------------------------------- */

static void ignored_write(struct fw_cfg *fw, uint64_t offset, unsigned size)
{
    fw->host->guest_error(fw->dev, "%u-byte write at +0x%llx ignored (selector or DMA expected)",
                          size, (unsigned long long)offset);
}

static uint64_t pio_read(void *opaque, uint64_t offset, unsigned size)
{
    struct fw_cfg *fw = opaque;

    if (offset == PIO_DATA)
        return read_data(fw, size);
    if (offset >= PIO_DMA)
        return read_dma_register((unsigned)(offset - PIO_DMA), size);
    return 0; /* the selector is write-only; +2 and +3 are unused */
}

static void pio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct fw_cfg *fw = opaque;

    if (offset == PIO_SELECTOR && size == 2)
        select_item(fw, (uint16_t)value);
    else if (offset >= PIO_DMA)
        write_dma_register(fw, (unsigned)(offset - PIO_DMA), value, size);
    else
        ignored_write(fw, offset, size);
}

static uint64_t mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    struct fw_cfg *fw = opaque;

    if (offset < MMIO_SELECTOR && offset + size <= MMIO_SELECTOR)
        return read_data(fw, size);
    if (offset >= MMIO_DMA)
        return read_dma_register((unsigned)(offset - MMIO_DMA), size);
    return 0;
}

static void mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct fw_cfg *fw = opaque;

    if (offset == MMIO_SELECTOR && size == 2)
        select_item(fw, (uint16_t)(((value & 0xff) << 8) | ((value >> 8) & 0xff)));
    else if (offset >= MMIO_DMA)
        write_dma_register(fw, (unsigned)(offset - MMIO_DMA), value, size);
    else
        ignored_write(fw, offset, size);
}

static const struct vmb_region_ops pio_ops = {
    .size = sizeof(struct vmb_region_ops),
    .read = pio_read,
    .write = pio_write,
    .min_access = 1,
    .max_access = 4,
};

static const struct vmb_region_ops mmio_ops = {
    .size = sizeof(struct vmb_region_ops),
    .read = mmio_read,
    .write = mmio_write,
    .min_access = 1,
    .max_access = 8,
};

/* ---- files ------------------------------------------------------------------------------ */

static char *trim(char *text)
{
    while (*text == ' ' || *text == '\t')
        text++;
    size_t len = strlen(text);
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        text[--len] = '\0';
    return text;
}

static int compare_files(const void *a, const void *b)
{
    return strcmp(((const struct fw_file *)a)->name, ((const struct fw_file *)b)->name);
}

static bool add_file(struct fw_cfg *fw, const char *name, const char *path, const void *data,
                     size_t len)
{
    if (name[0] == '\0' || strlen(name) >= FILE_NAME_SIZE) {
        fw->host->error(fw->dev, "files: item name '%s' must be 1 to %d bytes long", name,
                        FILE_NAME_SIZE - 1);
        return false;
    }
    for (size_t i = 0; i < fw->file_count; i++) {
        if (strcmp(fw->files[i].name, name) == 0) {
            fw->host->error(fw->dev, "files: item name '%s' is given twice", name);
            return false;
        }
    }
    if (fw->file_count >= FILE_MAX_COUNT) {
        fw->host->error(fw->dev, "files: more than %d items", FILE_MAX_COUNT);
        return false;
    }
    struct fw_file *files = realloc(fw->files, (fw->file_count + 1) * sizeof(*files));
    if (!files) {
        fw->host->error(fw->dev, "out of memory");
        return false;
    }
    fw->files = files;
    struct fw_file *file = &files[fw->file_count];
    memset(file, 0, sizeof(*file));
    strcpy(file->name, name);
    file->path = path ? strdup(path) : NULL;
    file->item.data = malloc(len ? len : 1);
    if ((path && !file->path) || !file->item.data) {
        free(file->path);
        free(file->item.data);
        fw->host->error(fw->dev, "out of memory");
        return false;
    }
    memcpy(file->item.data, data, len);
    file->item.len = (uint32_t)len;
    fw->file_count++;
    return true;
}

/* Read a whole host file; on failure report it naming the item and the path. */
static bool add_host_file(struct fw_cfg *fw, const char *name, const char *path)
{
    FILE *stream = fopen(path, "rb");
    struct stat st;
    uint8_t *data = NULL;
    bool ok = false;

    if (!stream) {
        fw->host->error(fw->dev, "files: cannot read '%s' for item '%s': %s", path, name,
                        strerror(errno));
        return false;
    }
    if (fstat(fileno(stream), &st) != 0 || !S_ISREG(st.st_mode)) {
        fw->host->error(fw->dev, "files: '%s' for item '%s' is not a regular file", path, name);
        goto out;
    }
    if ((uint64_t)st.st_size > FILE_MAX_BYTES) {
        fw->host->error(fw->dev, "files: '%s' for item '%s' is larger than %llu MiB", path, name,
                        FILE_MAX_BYTES >> 20);
        goto out;
    }
    size_t len = (size_t)st.st_size;
    data = malloc(len ? len : 1);
    if (!data) {
        fw->host->error(fw->dev, "files: no memory for '%s' (%zu bytes)", path, len);
        goto out;
    }
    if (fread(data, 1, len, stream) != len) {
        fw->host->error(fw->dev, "files: cannot read '%s' for item '%s': %s", path, name,
                        ferror(stream) ? strerror(errno) : "file shrank while read");
        goto out;
    }
    ok = add_file(fw, name, path, data, len);
out:
    free(data);
    fclose(stream);
    return ok;
}

/* "name=path,name2=path2" */
static bool add_files_from_spec(struct fw_cfg *fw, const char *spec)
{
    char *copy = strdup(spec);
    char *saveptr = NULL;
    bool ok = true;

    if (!copy) {
        fw->host->error(fw->dev, "out of memory");
        return false;
    }
    for (char *entry = strtok_r(copy, ",", &saveptr); ok && entry;
         entry = strtok_r(NULL, ",", &saveptr)) {
        char *equals = strchr(entry, '=');
        if (!equals) {
            fw->host->error(fw->dev, "files: '%s' is not NAME=PATH", trim(entry));
            ok = false;
            break;
        }
        *equals = '\0';
        char *name = trim(entry);
        char *path = trim(equals + 1);
        if (*path == '\0') {
            fw->host->error(fw->dev, "files: item '%s' has no path", name);
            ok = false;
            break;
        }
        ok = add_host_file(fw, name, path);
    }
    free(copy);
    return ok;
}

/* The directory item: be32 count, then {be32 size, be16 key, be16 reserved, name[56]}. */
static bool build_file_dir(struct fw_cfg *fw)
{
    qsort(fw->files, fw->file_count, sizeof(*fw->files), compare_files);

    size_t len = 4 + fw->file_count * FILE_DIR_ENTRY_SIZE;
    uint8_t *dir = calloc(1, len);
    if (!dir)
        return false;
    put_be(dir, fw->file_count, 4);
    for (size_t i = 0; i < fw->file_count; i++) {
        uint8_t *entry = dir + 4 + i * FILE_DIR_ENTRY_SIZE;
        put_be(entry, fw->files[i].item.len, 4);
        put_be(entry + 4, KEY_FILE_FIRST + i, 2);
        memcpy(entry + 8, fw->files[i].name, strlen(fw->files[i].name));
    }
    free(fw->fixed[KEY_FILE_DIR].data);
    fw->fixed[KEY_FILE_DIR].data = dir;
    fw->fixed[KEY_FILE_DIR].len = (uint32_t)len;
    return true;
}

/* ---- lifecycle -------------------------------------------------------------------------- */

static void fw_cfg_destroy(void *opaque)
{
    struct fw_cfg *fw = opaque;

    for (unsigned i = 0; i < KEY_FILE_FIRST; i++)
        free(fw->fixed[i].data);
    for (size_t i = 0; i < fw->file_count; i++) {
        free(fw->files[i].path);
        free(fw->files[i].item.data);
    }
    free(fw->files);
    free(fw);
}

static void *fw_cfg_create(vmb_device *dev, const struct vmb_host *host)
{
    struct fw_cfg *fw = calloc(1, sizeof(*fw));
    if (!fw) {
        host->error(dev, "out of memory");
        return NULL;
    }
    fw->dev = dev;
    fw->host = host;
    return fw;
}

static int fw_cfg_realize(void *opaque)
{
    struct fw_cfg *fw = opaque;
    const struct vmb_host *host = fw->host;
    struct vmb_machine_info info = {.size = sizeof(info)};
    static const uint8_t uuid[16];

    if (host->device_address(fw->dev, &fw->space, &fw->base) != 0) {
        host->error(fw->dev, "needs an address: give it pio: PORT (0x510 on x86) or mmio: ADDRESS");
        return -EINVAL;
    }
    host->machine_info(fw->dev, &info);
    const char *cmdline = info.cmdline ? info.cmdline : "";
    const char *board_name = info.board_name ? info.board_name : "";

    bool ok = set_fixed(fw, KEY_SIGNATURE, "QEMU", 4) &&
              set_fixed_le(fw, KEY_ID, ID_TRADITIONAL | ID_DMA, 4) &&
              set_fixed(fw, KEY_UUID, uuid, sizeof(uuid)) &&
              set_fixed_le(fw, KEY_RAM_SIZE, info.ram_size, 8) &&
              set_fixed_le(fw, KEY_NB_CPUS, info.cpus, 2) &&
              set_fixed_le(fw, KEY_MAX_CPUS, info.cpus, 2) &&
              set_fixed_le(fw, KEY_CMDLINE_SIZE, strlen(cmdline) + 1, 4) &&
              set_fixed(fw, KEY_CMDLINE_DATA, cmdline, strlen(cmdline) + 1);
    if (!ok) {
        host->error(fw->dev, "out of memory");
        return -ENOMEM;
    }
    if (!add_file(fw, "etc/vmboard/board-name", NULL, board_name, strlen(board_name)))
        return -ENOMEM;
    if (host->prop_present(fw->dev, "files")) {
        const char *spec = host->prop_string(fw->dev, "files");
        if (spec && !add_files_from_spec(fw, spec))
            return -EINVAL;
    }
    if (!build_file_dir(fw)) {
        host->error(fw->dev, "out of memory");
        return -ENOMEM;
    }

    if (fw->space == VMB_SPACE_PIO)
        return host->map_region(fw->dev, fw->space, fw->base, PIO_WINDOW, &pio_ops, fw);
    return host->map_region(fw->dev, fw->space, fw->base, MMIO_WINDOW, &mmio_ops, fw);
}

static void fw_cfg_reset(void *opaque)
{
    struct fw_cfg *fw = opaque;

    select_item(fw, KEY_SIGNATURE);
    memset(fw->dma_address, 0, sizeof(fw->dma_address));
}

static const struct vmb_fw_desc fw_cfg_fw = {
    .size = sizeof(struct vmb_fw_desc),
    .dt_compatible = "qemu,fw-cfg-mmio\0",
    .acpi_hid = "QEMU0002",
    .acpi_cid = NULL,
};

static const struct vmb_device_type fw_cfg_type = {
    .size = sizeof(struct vmb_device_type),
    .name = "fw-cfg",
    .description = "QEMU firmware configuration interface (signature, RAM, CPUs, cmdline, files)",
    .flags = VMB_TYPE_PIO | VMB_TYPE_MMIO | VMB_TYPE_NEEDS_ADDR,
    .window_size = MMIO_WINDOW,
    .pio_window_size = PIO_WINDOW,
    .irq_count = 0,
    .props = fw_cfg_props,
    .fw = &fw_cfg_fw,
    .create = fw_cfg_create,
    .realize = fw_cfg_realize,
    .reset = fw_cfg_reset,
    .destroy = fw_cfg_destroy,
};

static const struct vmb_device_type *const fw_cfg_types[] = {&fw_cfg_type, NULL};

static const struct vmb_plugin fw_cfg_plugin = {
    .abi_major = VMB_ABI_MAJOR,
    .abi_minor = VMB_ABI_MINOR,
    .size = sizeof(struct vmb_plugin),
    .name = "fw-cfg",
    .version = "1.0",
    .types = fw_cfg_types,
};

VMB_PLUGIN_DEFINE(fw_cfg_plugin)
