/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The devtest script language: one command per line, run in order on one harness, stopping at
 * the first failure. docs/plugin-guide.md is the reference; the command table below is the
 * truth it describes.
 *
 * A line is split into words at blanks; double quotes group (with C escapes \n \r \t \e \0
 * \\ \" \xNN), `#` outside quotes starts a comment, and ${NAME} is replaced by the variable
 * SCRIPT_DIR (the script's directory) or the environment variable NAME.
 *
 * Two kinds of problems: a failure (the device did not behave: status 1) and a script error
 * (the script cannot be run as written: status 2). Both name FILE:LINE.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "devtest-internal.h"
#include "util.h"

struct script {
    struct vmb_devtest *test;
    const char *path;
    char *dir;
    int line;
    const char *text;  /* the command as written, for messages */
    GHashTable *edges; /* irq line -> edges counted at the last `expect irq N edges` */
    int commands;
};

/* A word after quote removal; may hold NUL bytes from \0 or \x00. */
struct word {
    GString *text;
};

typedef int (*command_fn)(struct script *script, struct word *args, unsigned count);

static int script_error(struct script *script, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static int script_error(struct script *script, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s:%d: error: %s\n", script->path, script->line, text);
    g_free(text);
    return VMB_DEVTEST_SCRIPT_ERROR;
}

/* A failed expectation: the command, then what was expected and what happened. */
static int failure(struct script *script, const char *expected, const char *actual)
{
    fprintf(stderr, "%s:%d: FAIL: %s\n", script->path, script->line, script->text);
    if (expected)
        fprintf(stderr, "  expected: %s\n", expected);
    if (actual)
        fprintf(stderr, "  actual:   %s\n", actual);
    return VMB_DEVTEST_FAIL;
}

/* A harness call failed: the command and the harness's reason. */
static int harness_failure(struct script *script)
{
    fprintf(stderr, "%s:%d: FAIL: %s\n", script->path, script->line, script->text);
    const char *reason = vmb_devtest_error(script->test);
    char **lines = g_strsplit(reason, "\n", -1);
    for (char **l = lines; *l; l++)
        fprintf(stderr, "  %s\n", *l);
    g_strfreev(lines);
    return VMB_DEVTEST_FAIL;
}

/* ---- words ------------------------------------------------------------------------------ */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Expand ${NAME} at p (just past '$'); returns the characters consumed, or -1. */
static int expand_variable(struct script *script, const char *p, GString *out)
{
    if (*p != '{') {
        g_string_append_c(out, '$');
        return 0;
    }
    const char *end = strchr(p, '}');
    if (!end) {
        script_error(script, "'${' without a closing '}'");
        return -1;
    }
    char *name = g_strndup(p + 1, end - p - 1);
    const char *value = strcmp(name, "SCRIPT_DIR") == 0 ? script->dir : g_getenv(name);
    if (!value) {
        script_error(script, "variable ${%s} is not set (SCRIPT_DIR or an environment variable)",
                     name);
        g_free(name);
        return -1;
    }
    g_string_append(out, value);
    g_free(name);
    return (int)(end - p + 1);
}

/* Split a line into words. Returns the count, or -1 after a script error. */
static int split_words(struct script *script, const char *line, GArray *words)
{
    const char *p = line;

    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        if (!*p || *p == '#')
            break;
        struct word word = {g_string_new(NULL)};
        g_array_append_val(words, word);
        GString *out = word.text;
        bool quoted = false;
        while (*p && (quoted || (*p != ' ' && *p != '\t' && *p != '\r'))) {
            char c = *p++;
            if (c == '"') {
                quoted = !quoted;
            } else if (c == '$') {
                int used = expand_variable(script, p, out);
                if (used < 0)
                    return -1;
                p += used;
            } else if (c == '\\' && quoted) {
                char e = *p ? *p++ : '\0';
                int high, low;
                switch (e) {
                case 'n':
                    g_string_append_c(out, '\n');
                    break;
                case 'r':
                    g_string_append_c(out, '\r');
                    break;
                case 't':
                    g_string_append_c(out, '\t');
                    break;
                case 'e':
                    g_string_append_c(out, '\x1b');
                    break;
                case '0':
                    g_string_append_c(out, '\0');
                    break;
                case '\\':
                case '"':
                    g_string_append_c(out, e);
                    break;
                case 'x':
                    high = hex_digit(p[0]);
                    low = high >= 0 ? hex_digit(p[1]) : -1;
                    if (low < 0) {
                        script_error(script, "\\x needs two hex digits");
                        return -1;
                    }
                    g_string_append_c(out, (char)(high * 16 + low));
                    p += 2;
                    break;
                default:
                    script_error(script,
                                 "unknown escape '\\%c' (known: \\n \\r \\t \\e \\0 \\\\ "
                                 "\\\" \\xNN)",
                                 e ? e : ' ');
                    return -1;
                }
            } else {
                g_string_append_c(out, c);
            }
        }
        if (quoted) {
            script_error(script, "unterminated string");
            return -1;
        }
    }
    return (int)words->len;
}

static void free_words(GArray *words)
{
    for (guint i = 0; i < words->len; i++)
        g_string_free(g_array_index(words, struct word, i).text, TRUE);
    g_array_unref(words);
}

/* Bytes as a C string literal, for messages. */
static char *escaped(const uint8_t *data, size_t len)
{
    GString *out = g_string_new("\"");
    for (size_t i = 0; i < len; i++) {
        uint8_t c = data[i];
        if (c == '\n')
            g_string_append(out, "\\n");
        else if (c == '\r')
            g_string_append(out, "\\r");
        else if (c == '\t')
            g_string_append(out, "\\t");
        else if (c == '"' || c == '\\')
            g_string_append_printf(out, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            g_string_append_printf(out, "\\x%02x", c);
        else
            g_string_append_c(out, (char)c);
    }
    g_string_append_c(out, '"');
    return g_string_free(out, FALSE);
}

/* ---- arguments -------------------------------------------------------------------------- */

static bool number_arg(struct script *script, const struct word *word, const char *what,
                       uint64_t *out)
{
    if (parse_u64(word->text->str, out))
        return true;
    script_error(script, "%s '%s' is not a number (decimal or 0x hex)", what, word->text->str);
    return false;
}

static bool size_arg(struct script *script, const struct word *word, unsigned *out)
{
    uint64_t size;
    if (!number_arg(script, word, "access size", &size))
        return false;
    if (size < 1 || size > 8) {
        script_error(script, "access size %s is not 1 to 8 bytes", word->text->str);
        return false;
    }
    *out = (unsigned)size;
    return true;
}

static bool space_arg(struct script *script, const struct word *word, bool allow_mem,
                      enum vmb_space *space, bool *is_mem)
{
    const char *text = word->text->str;
    *is_mem = false;
    if (strcmp(text, "mmio") == 0) {
        *space = VMB_SPACE_MMIO;
    } else if (strcmp(text, "pio") == 0) {
        *space = VMB_SPACE_PIO;
    } else if (allow_mem && strcmp(text, "mem") == 0) {
        *is_mem = true;
    } else {
        script_error(script, "unknown address space '%s' (mmio, pio%s)", text,
                     allow_mem ? " or mem" : "");
        return false;
    }
    return true;
}

/* A duration with its unit: 250ns, 10us, 5ms, 2s. */
static bool duration_arg(struct script *script, const struct word *word, uint64_t *ns)
{
    static const struct {
        const char *suffix;
        uint64_t scale;
    } units[] = {{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}};
    const char *text = word->text->str;
    size_t len = strlen(text);

    for (size_t i = 0; i < G_N_ELEMENTS(units); i++) {
        size_t suffix_len = strlen(units[i].suffix);
        if (len <= suffix_len || strcmp(text + len - suffix_len, units[i].suffix) != 0)
            continue;
        char *number = g_strndup(text, len - suffix_len);
        uint64_t value;
        bool ok = parse_u64(number, &value) && value <= UINT64_MAX / units[i].scale;
        g_free(number);
        if (ok) {
            *ns = value * units[i].scale;
            return true;
        }
        break;
    }
    script_error(script, "'%s' is not a duration (a number with ns, us, ms or s, e.g. 10ms)", text);
    return false;
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (1ull << (size * 8)) - 1;
}

/* Start the machine on first use, as a guest would find it after power-on. */
static int ensure_started(struct script *script)
{
    if (devtest_started(script->test))
        return VMB_DEVTEST_PASS;
    if (vmb_devtest_start(script->test) < 0)
        return harness_failure(script);
    return VMB_DEVTEST_PASS;
}

static int require_not_started(struct script *script, const char *command)
{
    if (!devtest_started(script->test))
        return VMB_DEVTEST_PASS;
    return script_error(script,
                        "'%s' must come before the machine starts (before the first "
                        "access, or use new-machine)",
                        command);
}

/* A path in a script is relative to the script's directory. */
static char *script_path(struct script *script, const char *path)
{
    return g_path_is_absolute(path) ? g_strdup(path) : g_build_filename(script->dir, path, NULL);
}

/* ---- commands: the machine -------------------------------------------------------------- */

static int cmd_plugin(struct script *script, struct word *args, unsigned count)
{
    int status = require_not_started(script, "plugin");
    if (status)
        return status;
    char *path = script_path(script, args[0].text->str);
    int ret = vmb_devtest_load_plugin(script->test, path);
    g_free(path);
    return ret < 0 ? harness_failure(script) : VMB_DEVTEST_PASS;
}

static int cmd_plugin_path(struct script *script, struct word *args, unsigned count)
{
    char **dirs = g_strsplit(args[0].text->str, ":", -1);
    for (char **d = dirs; *d; d++) {
        if (!**d)
            continue;
        char *dir = script_path(script, *d);
        vmb_devtest_add_plugin_dirs(script->test, dir);
        g_free(dir);
    }
    g_strfreev(dirs);
    return VMB_DEVTEST_PASS;
}

static int cmd_memory(struct script *script, struct word *args, unsigned count)
{
    uint64_t bytes;
    int status = require_not_started(script, "memory");
    if (status)
        return status;
    if (!parse_size(args[0].text->str, &bytes))
        return script_error(script, "'%s' is not a size (e.g. 16M)", args[0].text->str);
    if (vmb_devtest_set_memory(script->test, bytes) < 0)
        return script_error(script, "%s", vmb_devtest_error(script->test));
    return VMB_DEVTEST_PASS;
}

static int cmd_cpus(struct script *script, struct word *args, unsigned count)
{
    uint64_t cpus;
    int status = require_not_started(script, "cpus");
    if (status)
        return status;
    if (!number_arg(script, &args[0], "cpu count", &cpus))
        return VMB_DEVTEST_SCRIPT_ERROR;
    if (cpus > 256 || vmb_devtest_set_cpus(script->test, (unsigned)cpus) < 0)
        return script_error(script, "cpus must be 1 to 256");
    return VMB_DEVTEST_PASS;
}

static int cmd_board(struct script *script, struct word *args, unsigned count)
{
    int status = require_not_started(script, "board");
    if (status)
        return status;
    char *path = script_path(script, args[0].text->str);
    int ret = vmb_devtest_load_board(script->test, path);
    g_free(path);
    return ret < 0 ? script_error(script, "%s", vmb_devtest_error(script->test)) : VMB_DEVTEST_PASS;
}

static int cmd_device(struct script *script, struct word *args, unsigned count)
{
    int status = require_not_started(script, "device");
    if (status)
        return status;
    const char **settings = g_new0(const char *, count - 1);
    for (unsigned i = 2; i < count; i++) {
        settings[i - 2] = args[i].text->str;
        if (!strchr(settings[i - 2], '=')) {
            g_free(settings);
            return script_error(script, "'%s' is not KEY=VALUE (a property, mmio, pio or irq)",
                                args[i].text->str);
        }
    }
    int ret = devtest_add_device_at(script->test, args[0].text->str, args[1].text->str, settings,
                                    script->line);
    g_free(settings);
    return ret < 0 ? script_error(script, "%s", vmb_devtest_error(script->test)) : VMB_DEVTEST_PASS;
}

static int cmd_start(struct script *script, struct word *args, unsigned count)
{
    if (devtest_started(script->test))
        return script_error(script, "the machine is already started");
    return ensure_started(script);
}

static int cmd_new_machine(struct script *script, struct word *args, unsigned count)
{
    vmb_devtest_discard(script->test);
    g_hash_table_remove_all(script->edges);
    return VMB_DEVTEST_PASS;
}

static int cmd_reset(struct script *script, struct word *args, unsigned count)
{
    int status = ensure_started(script);
    if (status)
        return status;
    return vmb_devtest_reset(script->test) < 0 ? harness_failure(script) : VMB_DEVTEST_PASS;
}

/* ---- commands: accesses ----------------------------------------------------------------- */

static int cmd_write(struct script *script, struct word *args, unsigned count)
{
    enum vmb_space space = VMB_SPACE_MMIO;
    bool is_mem;
    uint64_t address, value;
    unsigned size;

    if (!space_arg(script, &args[0], true, &space, &is_mem) ||
        !number_arg(script, &args[1], "address", &address))
        return VMB_DEVTEST_SCRIPT_ERROR;
    if (count == 3) {
        if (!is_mem)
            return script_error(script,
                                "a string can only be written to mem; use write %s "
                                "ADDRESS SIZE VALUE",
                                args[0].text->str);
        int status = ensure_started(script);
        if (status)
            return status;
        if (vmb_devtest_mem_write(script->test, address, args[2].text->str, args[2].text->len) < 0)
            return harness_failure(script);
        return VMB_DEVTEST_PASS;
    }
    if (count != 4)
        return script_error(script, "usage: write SPACE ADDRESS SIZE VALUE, or write mem "
                                    "ADDRESS \"BYTES\"");
    if (!size_arg(script, &args[2], &size) || !number_arg(script, &args[3], "value", &value))
        return VMB_DEVTEST_SCRIPT_ERROR;
    if (value & ~size_mask(size))
        return script_error(script, "value %s does not fit in %u bytes", args[3].text->str, size);
    int status = ensure_started(script);
    if (status)
        return status;
    if (is_mem) {
        uint8_t bytes[8];
        for (unsigned i = 0; i < size; i++)
            bytes[i] = (uint8_t)(value >> (8 * i));
        if (vmb_devtest_mem_write(script->test, address, bytes, size) < 0)
            return harness_failure(script);
        return VMB_DEVTEST_PASS;
    }
    vmb_devtest_write(script->test, space, address, value, size);
    return VMB_DEVTEST_PASS;
}

/* read SPACE ADDRESS SIZE [& MASK] [== VALUE | != VALUE] */
static int cmd_read(struct script *script, struct word *args, unsigned count)
{
    enum vmb_space space = VMB_SPACE_MMIO;
    bool is_mem;
    uint64_t address, mask = UINT64_MAX, expected = 0, value;
    unsigned size, next = 3;
    const char *compare = NULL;

    if (!space_arg(script, &args[0], true, &space, &is_mem) ||
        !number_arg(script, &args[1], "address", &address) || !size_arg(script, &args[2], &size))
        return VMB_DEVTEST_SCRIPT_ERROR;
    if (next + 1 < count && strcmp(args[next].text->str, "&") == 0) {
        if (!number_arg(script, &args[next + 1], "mask", &mask))
            return VMB_DEVTEST_SCRIPT_ERROR;
        next += 2;
    }
    if (next + 1 < count &&
        (strcmp(args[next].text->str, "==") == 0 || strcmp(args[next].text->str, "!=") == 0)) {
        compare = args[next].text->str;
        if (!number_arg(script, &args[next + 1], "value", &expected))
            return VMB_DEVTEST_SCRIPT_ERROR;
        next += 2;
    }
    if (next != count)
        return script_error(script, "usage: read SPACE ADDRESS SIZE [& MASK] [== VALUE | != "
                                    "VALUE]");
    if (compare && (expected & ~size_mask(size)))
        return script_error(script, "value %s does not fit in %u bytes", args[next - 1].text->str,
                            size);

    int status = ensure_started(script);
    if (status)
        return status;
    if (is_mem) {
        uint8_t bytes[8];
        if (vmb_devtest_mem_read(script->test, address, bytes, size) < 0)
            return harness_failure(script);
        value = 0;
        for (unsigned i = 0; i < size; i++)
            value |= (uint64_t)bytes[i] << (8 * i);
    } else {
        value = vmb_devtest_read(script->test, space, address, size);
    }
    if (devtest_verbose(script->test))
        printf("  -> 0x%0*" G_GINT64_MODIFIER "x\n", (int)size * 2, value);
    if (!compare)
        return VMB_DEVTEST_PASS;

    bool equal = (value & mask) == (expected & mask);
    if (equal == (compare[0] == '='))
        return VMB_DEVTEST_PASS;
    char *want, *got;
    if (mask != UINT64_MAX) {
        want =
            g_strdup_printf("%s0x%0*" G_GINT64_MODIFIER "x under mask 0x%" G_GINT64_MODIFIER "x",
                            compare[0] == '=' ? "" : "not ", (int)size * 2, expected & mask, mask);
        got = g_strdup_printf("0x%0*" G_GINT64_MODIFIER "x (read 0x%0*" G_GINT64_MODIFIER "x)",
                              (int)size * 2, value & mask, (int)size * 2, value);
    } else {
        want = g_strdup_printf("%s0x%0*" G_GINT64_MODIFIER "x", compare[0] == '=' ? "" : "not ",
                               (int)size * 2, expected);
        got = g_strdup_printf("0x%0*" G_GINT64_MODIFIER "x", (int)size * 2, value);
    }
    status = failure(script, want, got);
    g_free(want);
    g_free(got);
    return status;
}

static int cmd_input(struct script *script, struct word *args, unsigned count)
{
    int status = ensure_started(script);
    if (status)
        return status;
    if (vmb_devtest_console_input(script->test, args[0].text->str, args[1].text->str,
                                  args[1].text->len) < 0)
        return harness_failure(script);
    return VMB_DEVTEST_PASS;
}

static int cmd_advance(struct script *script, struct word *args, unsigned count)
{
    uint64_t ns;
    if (!duration_arg(script, &args[0], &ns))
        return VMB_DEVTEST_SCRIPT_ERROR;
    int status = ensure_started(script);
    if (status)
        return status;
    return vmb_devtest_advance(script->test, ns) < 0 ? harness_failure(script) : VMB_DEVTEST_PASS;
}

/* ---- commands: expectations ------------------------------------------------------------- */

static int expect_irq(struct script *script, struct word *args, unsigned count)
{
    uint64_t line;
    if (count < 3 || !number_arg(script, &args[1], "interrupt line", &line))
        return count < 3 ? script_error(script, "usage: expect irq LINE high|low, or expect irq "
                                                "LINE edges COUNT")
                         : VMB_DEVTEST_SCRIPT_ERROR;
    const char *what = args[2].text->str;
    bool level_check = strcmp(what, "high") == 0 || strcmp(what, "low") == 0;
    if (!(level_check && count == 3) && !(strcmp(what, "edges") == 0 && count == 4))
        return script_error(script, "usage: expect irq LINE high|low, or expect irq LINE edges "
                                    "COUNT");
    uint64_t want_edges = 0;
    if (!level_check && !number_arg(script, &args[3], "edge count", &want_edges))
        return VMB_DEVTEST_SCRIPT_ERROR;
    if (line > G_MAXUINT)
        return script_error(script, "interrupt line %s is out of range", args[1].text->str);
    int status = ensure_started(script);
    if (status)
        return status;

    if (level_check) {
        int level = vmb_devtest_irq_level(script->test, (unsigned)line);
        if (level < 0)
            return harness_failure(script);
        if (level == (what[0] == 'h'))
            return VMB_DEVTEST_PASS;
        return failure(script, what, level ? "high" : "low");
    }
    /* Edges since the previous edge check of this line. */
    uint64_t total = vmb_devtest_irq_edges(script->test, (unsigned)line);
    gpointer key = GUINT_TO_POINTER((guint)line);
    uint64_t before = 0;
    uint64_t *seen = g_hash_table_lookup(script->edges, key);
    if (seen)
        before = *seen;
    else
        seen = g_new0(uint64_t, 1);
    *seen = total;
    g_hash_table_replace(script->edges, key, seen);
    if (total - before == want_edges)
        return VMB_DEVTEST_PASS;
    char *want =
        g_strdup_printf("%" G_GUINT64_FORMAT " rising edges since the last check", want_edges);
    char *got = g_strdup_printf("%" G_GUINT64_FORMAT, total - before);
    status = failure(script, want, got);
    g_free(want);
    g_free(got);
    return status;
}

static int expect_output(struct script *script, struct word *args, unsigned count)
{
    if (count != 3)
        return script_error(script, "usage: expect output DEVICE \"TEXT\"");
    int status = ensure_started(script);
    if (status)
        return status;
    const char *id = args[1].text->str;
    size_t len;
    const uint8_t *data = vmb_devtest_console_output(script->test, id, &len);
    if (!data)
        return harness_failure(script);
    const GString *want = args[2].text;
    if (len == want->len && memcmp(data, want->str, len) == 0) {
        vmb_devtest_console_clear(script->test, id);
        return VMB_DEVTEST_PASS;
    }
    char *want_text = escaped((const uint8_t *)want->str, want->len);
    char *got_text = escaped(data, len);
    status = failure(script, want_text, got_text);
    g_free(want_text);
    g_free(got_text);
    return status;
}

static int expect_queued(struct script *script, struct word *args, unsigned count)
{
    uint64_t want;
    if (count != 3)
        return script_error(script, "usage: expect queued DEVICE COUNT");
    if (!number_arg(script, &args[2], "byte count", &want))
        return VMB_DEVTEST_SCRIPT_ERROR;
    int status = ensure_started(script);
    if (status)
        return status;
    long queued = vmb_devtest_console_queued(script->test, args[1].text->str);
    if (queued < 0)
        return harness_failure(script);
    if ((uint64_t)queued == want)
        return VMB_DEVTEST_PASS;
    char *want_text = g_strdup_printf("%" G_GUINT64_FORMAT " bytes typed but not taken", want);
    char *got_text = g_strdup_printf("%ld", queued);
    status = failure(script, want_text, got_text);
    g_free(want_text);
    g_free(got_text);
    return status;
}

static int expect_mem(struct script *script, struct word *args, unsigned count)
{
    uint64_t address;
    if (count != 3)
        return script_error(script, "usage: expect mem ADDRESS \"BYTES\" (or read mem ADDRESS "
                                    "SIZE == VALUE)");
    if (!number_arg(script, &args[1], "address", &address))
        return VMB_DEVTEST_SCRIPT_ERROR;
    int status = ensure_started(script);
    if (status)
        return status;
    const GString *want = args[2].text;
    uint8_t *got = g_malloc(want->len + 1);
    if (vmb_devtest_mem_read(script->test, address, got, want->len) < 0) {
        g_free(got);
        return harness_failure(script);
    }
    if (memcmp(got, want->str, want->len) != 0) {
        char *want_text = escaped((const uint8_t *)want->str, want->len);
        char *got_text = escaped(got, want->len);
        status = failure(script, want_text, got_text);
        g_free(want_text);
        g_free(got_text);
    }
    g_free(got);
    return status;
}

static const char *stop_text(enum vmb_devtest_stop stop, int status, char *buf, size_t size)
{
    switch (stop) {
    case VMB_DEVTEST_EXIT:
        g_snprintf(buf, size, "exit with status %d", status);
        return buf;
    case VMB_DEVTEST_RESET:
        return "reset";
    case VMB_DEVTEST_RUNNING:
        break;
    }
    return "running (no exit or reset requested)";
}

static int expect_stop(struct script *script, struct word *args, unsigned count)
{
    const char *what = args[0].text->str;
    enum vmb_devtest_stop want = VMB_DEVTEST_RUNNING;
    uint64_t want_status = 0;

    if (strcmp(what, "exit") == 0) {
        if (count != 2)
            return script_error(script, "usage: expect exit STATUS");
        if (!number_arg(script, &args[1], "exit status", &want_status))
            return VMB_DEVTEST_SCRIPT_ERROR;
        want = VMB_DEVTEST_EXIT;
    } else if (count != 1) {
        return script_error(script, "usage: expect %s", what);
    } else if (strcmp(what, "reset") == 0) {
        want = VMB_DEVTEST_RESET;
    }
    int status = ensure_started(script);
    if (status)
        return status;
    int got_status;
    enum vmb_devtest_stop got = vmb_devtest_stop_request(script->test, &got_status);
    if (got == want && (want != VMB_DEVTEST_EXIT || (uint64_t)got_status == want_status))
        return VMB_DEVTEST_PASS;
    char want_buf[64], got_buf[64];
    return failure(script, stop_text(want, (int)want_status, want_buf, sizeof(want_buf)),
                   stop_text(got, got_status, got_buf, sizeof(got_buf)));
}

static int expect_start_error(struct script *script, struct word *args, unsigned count)
{
    if (count != 2)
        return script_error(script, "usage: expect start-error \"TEXT\"");
    if (devtest_started(script->test))
        return script_error(script, "the machine is already started");
    const char *want = args[1].text->str;
    if (vmb_devtest_start(script->test) == 0) {
        char *text = g_strdup_printf("starting fails with a message containing \"%s\"", want);
        int status = failure(script, text, "the machine started");
        g_free(text);
        return status;
    }
    const char *got = vmb_devtest_error(script->test);
    if (strstr(got, want))
        return VMB_DEVTEST_PASS;
    char *text = g_strdup_printf("a message containing \"%s\"", want);
    int status = failure(script, text, got);
    g_free(text);
    return status;
}

static const struct {
    const char *name;
    command_fn fn;
} expectations[] = {
    {"irq", expect_irq},       {"output", expect_output},
    {"queued", expect_queued}, {"mem", expect_mem},
    {"exit", expect_stop},     {"reset", expect_stop},
    {"running", expect_stop},  {"start-error", expect_start_error},
};

static int cmd_expect(struct script *script, struct word *args, unsigned count)
{
    const char *what = args[0].text->str;
    const char *names[G_N_ELEMENTS(expectations)];

    for (size_t i = 0; i < G_N_ELEMENTS(expectations); i++) {
        if (strcmp(what, expectations[i].name) == 0) {
            /* expect_irq and friends see their keyword as args[0]. */
            return expectations[i].fn(script, args, count);
        }
        names[i] = expectations[i].name;
    }
    const char *hint = did_you_mean(what, names, G_N_ELEMENTS(names));
    if (hint)
        return script_error(script, "unknown expectation 'expect %s' (did you mean 'expect %s'?)",
                            what, hint);
    return script_error(script,
                        "unknown expectation 'expect %s' (irq, output, queued, mem, "
                        "exit, reset, running, start-error)",
                        what);
}

static const struct {
    const char *name;
    command_fn fn;
    unsigned min_args, max_args;
    const char *usage;
} commands[] = {
    {"plugin", cmd_plugin, 1, 1, "plugin FILE.so"},
    {"plugin-path", cmd_plugin_path, 1, 1, "plugin-path DIR[:DIR...]"},
    {"memory", cmd_memory, 1, 1, "memory SIZE"},
    {"cpus", cmd_cpus, 1, 1, "cpus COUNT"},
    {"board", cmd_board, 1, 1, "board FILE.yaml"},
    {"device", cmd_device, 2, 64, "device TYPE ID [KEY=VALUE...]"},
    {"start", cmd_start, 0, 0, "start"},
    {"new-machine", cmd_new_machine, 0, 0, "new-machine"},
    {"reset", cmd_reset, 0, 0, "reset"},
    {"write", cmd_write, 3, 4, "write SPACE ADDRESS SIZE VALUE | write mem ADDRESS \"BYTES\""},
    {"read", cmd_read, 3, 7, "read SPACE ADDRESS SIZE [& MASK] [== VALUE | != VALUE]"},
    {"input", cmd_input, 2, 2, "input DEVICE \"TEXT\""},
    {"advance", cmd_advance, 1, 1, "advance DURATION (e.g. 10ms)"},
    {"expect", cmd_expect, 1, 4, "expect irq|output|queued|mem|exit|reset|running|start-error ..."},
};

static int run_command(struct script *script, GArray *words)
{
    struct word *w = (struct word *)words->data;
    const char *name = w[0].text->str;
    unsigned count = words->len - 1;
    const char *names[G_N_ELEMENTS(commands)];

    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        names[i] = commands[i].name;
        if (strcmp(name, commands[i].name) != 0)
            continue;
        if (count < commands[i].min_args || count > commands[i].max_args)
            return script_error(script, "usage: %s", commands[i].usage);
        return commands[i].fn(script, w + 1, count);
    }
    const char *hint = did_you_mean(name, names, G_N_ELEMENTS(names));
    if (hint)
        return script_error(script, "unknown command '%s' (did you mean '%s'?)", name, hint);
    return script_error(script, "unknown command '%s'", name);
}

int vmb_devtest_run_script(struct vmb_devtest *test, const char *path)
{
    char *contents = NULL;
    GError *error = NULL;

    if (devtest_started(test)) {
        fprintf(stderr, "%s: error: the harness already runs a machine\n", path);
        return VMB_DEVTEST_SCRIPT_ERROR;
    }
    if (!g_file_get_contents(path, &contents, NULL, &error)) {
        fprintf(stderr, "vmboard-devtest: %s\n", error->message);
        g_error_free(error);
        return VMB_DEVTEST_SCRIPT_ERROR;
    }

    struct script script = {
        .test = test,
        .path = path,
        .dir = g_path_get_dirname(path),
        .edges = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free),
    };
    devtest_set_board_name(test, path);
    char **lines = g_strsplit(contents, "\n", -1);
    int status = VMB_DEVTEST_PASS;
    for (int i = 0; lines[i] && status == VMB_DEVTEST_PASS; i++) {
        script.line = i + 1;
        script.text = g_strstrip(lines[i]);
        GArray *words = g_array_new(FALSE, FALSE, sizeof(struct word));
        int count = split_words(&script, script.text, words);
        if (count < 0) {
            status = VMB_DEVTEST_SCRIPT_ERROR;
        } else if (count > 0) {
            if (devtest_verbose(test))
                printf("%s:%d: %s\n", path, script.line, script.text);
            script.commands++;
            status = run_command(&script, words);
        }
        free_words(words);
    }
    if (status == VMB_DEVTEST_PASS && script.commands == 0) {
        fprintf(stderr, "%s: error: the script has no commands\n", path);
        status = VMB_DEVTEST_SCRIPT_ERROR;
    }
    g_strfreev(lines);
    g_hash_table_unref(script.edges);
    g_free(script.dir);
    vmb_devtest_discard(test);
    g_free(contents);
    return status;
}
