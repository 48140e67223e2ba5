/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Console backends. Each open console with a host fd is one GSource attached to the I/O
 * thread's context: it watches the output fd for writability while bytes are queued and
 * stdin for input. vCPU threads only append to a bounded ring under a short lock and, when
 * the ring was idle, wake the source through its ready time (thread-safe in GLib); they never
 * touch the fd.
 *
 * Threads:
 *  - console_write/console_accept: any thread (usually a vCPU holding the device lock).
 *  - dispatch (output drain, input delivery): the I/O thread.
 *  - console_open/console_close: the main thread.
 * The struct is the GSource itself, so GLib's reference during a dispatch keeps it alive while
 * console_close runs on another thread.
 */
#include "config.h"

#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "loop.h"
#include "rcu.h"
#include "util.h"

#define CONSOLE_RING_SIZE      (256 * 1024) /* output bytes queued before we drop */
#define CONSOLE_INPUT_SIZE     4096         /* input bytes read at once */
#define CONSOLE_WRITE_CHUNK    4096         /* <= PIPE_BUF: a pipe that polled writable takes it */
#define CONSOLE_RETRY_US       100          /* device busy: offer input again after this */
#define CONSOLE_FLUSH_STALL_MS 2000         /* close gives up when the fd takes nothing this long */

#define CONSOLE_CAPTURE_SIZE (1024 * 1024) /* memory console output kept before we drop */

#define CTRL_A 0x01

enum console_kind {
    CONSOLE_NONE,
    CONSOLE_STDIO,
    CONSOLE_FILE,
    CONSOLE_MEMORY, /* deterministic loops: see console.h */
};

struct console {
    GSource source; /* first: the console is allocated by g_source_new */
    enum console_kind kind;
    char *owner; /* who owns it, for the stdio conflict message */
    int out_fd;
    int in_fd; /* -1: no input */
    bool close_out_fd;
    gpointer out_tag, in_tag; /* NULL while the fd is not polled */

    console_input_fn input;
    void *opaque;
    GMutex *device_lock;
    void (*quit)(void *);
    void *quit_opaque;

    /* Output ring. Producers append under ring_lock; the one drainer (serialised by
     * drain_lock) writes straight from the ring, since producers never touch queued bytes. */
    GMutex ring_lock;
    uint8_t *ring;
    size_t ring_head, ring_len;
    bool out_armed;    /* G_IO_OUT is in the source's poll set */
    bool kick_pending; /* a producer already woke the source */
    GMutex drain_lock;
    atomic_bool out_dead; /* write failed for good (EPIPE...) or the console is closing */
    atomic_uint_fast64_t dropped;

    /* Input. in_lock orders delivery against console_close: once closed is set, no input
     * callback runs again, so the device may go away. */
    GMutex in_lock;
    bool closed;
    bool in_eof;
    bool escape;       /* the last byte typed was Ctrl-A */
    bool raw_terminal; /* stdin is a tty we put in raw mode */
    atomic_bool deliver_wanted;
    uint8_t pending[CONSOLE_INPUT_SIZE];
    size_t pending_off, pending_len;

    /* Memory consoles: captured output (under ring_lock) and injected input not yet taken
     * (under in_lock). */
    GByteArray *captured;
    GByteArray *injected;
};

/* Terminal state lives in statics because the signal-safe restore path cannot take locks. */
static struct termios saved_termios;
static volatile sig_atomic_t terminal_raw;

static GMutex consoles_lock; /* protects stdio_owner and open_consoles */
static struct console *stdio_owner;
static GPtrArray *open_consoles;
static bool atexit_registered;

static void console_flush(struct console *console, int stall_ms);
static bool drain_some(struct console *console);

bool console_spec_valid(const char *spec, GError **error)
{
    if (!spec) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID, "console: no backend given");
        return false;
    }
    if (strcmp(spec, "stdio") == 0 || strcmp(spec, "none") == 0)
        return true;
    if (g_str_has_prefix(spec, "file:")) {
        if (spec[5] != '\0')
            return true;
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "console 'file:' needs a path, e.g. file:console.log");
        return false;
    }
    g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                "unknown console backend '%s' (expected stdio, file:PATH or none)", spec);
    return false;
}

void console_restore_terminal(void)
{
    /* Only async-signal-safe calls here: tcsetattr is one. */
    if (terminal_raw) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
        terminal_raw = 0;
    }
}

static bool terminal_make_raw(GError **error)
{
    struct termios raw;

    if (tcgetattr(STDIN_FILENO, &saved_termios) < 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_FAILED, "console stdio: tcgetattr: %s",
                    g_strerror(errno));
        return false;
    }
    raw = saved_termios;
    /* Every key goes to the guest (Ctrl-C included: Ctrl-A x quits); output post-processing
     * stays on so a guest's bare "\n" still returns the carriage on the user's terminal. */
    raw.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    raw.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    raw.c_cflag |= CS8;
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    terminal_raw = 1;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0) {
        terminal_raw = 0;
        g_set_error(error, VMB_ERROR, VMB_ERROR_FAILED, "console stdio: tcsetattr: %s",
                    g_strerror(errno));
        return false;
    }
    return true;
}

/* As far as the fd takes it now. A write of the I/O thread in progress is waited for, briefly:
 * its fd takes what poll said it would, so it ends at once (unless it is ours, when we are
 * logging from inside a drain). */
static void console_flush_now(struct console *console)
{
    if (console->kind == CONSOLE_NONE || console->kind == CONSOLE_MEMORY)
        return;
    gint64 deadline = g_get_monotonic_time() + 50 * 1000;
    while (!g_mutex_trylock(&console->drain_lock)) {
        if (g_get_monotonic_time() > deadline)
            return;
        g_usleep(200);
    }
    while (!console->out_dead) {
        g_mutex_lock(&console->ring_lock);
        size_t queued = console->ring_len;
        g_mutex_unlock(&console->ring_lock);
        struct pollfd pfd = {.fd = console->out_fd, .events = POLLOUT};
        if (queued == 0 || poll(&pfd, 1, 0) <= 0 || (pfd.revents & (POLLERR | POLLNVAL)) ||
            !drain_some(console))
            break;
    }
    g_mutex_unlock(&console->drain_lock);
}

void console_flush_pending(void)
{
    /* trylock: a message may come from a thread that holds the lock (console_open/close). */
    if (!g_mutex_trylock(&consoles_lock))
        return;
    for (guint i = 0; open_consoles && i < open_consoles->len; i++)
        console_flush_now(open_consoles->pdata[i]);
    g_mutex_unlock(&consoles_lock);
}

void console_flush_all(void)
{
    g_mutex_lock(&consoles_lock);
    for (guint i = 0; open_consoles && i < open_consoles->len; i++)
        console_flush(open_consoles->pdata[i], 500);
    g_mutex_unlock(&consoles_lock);
}

/* At exit: write out whatever consoles still hold, then give the terminal back. */
static void console_atexit(void)
{
    console_flush_all();
    console_restore_terminal();
}

/*
 * Poll `fd` for `events`, or not at all when events is 0. An fd polled for nothing would still
 * report HUP/ERR (a closed pipe) and keep the source ready forever, starving lower-priority
 * sources such as the loop's own quit request, so it is removed instead. I/O thread only.
 */
static void watch_fd_events(struct console *console, gpointer *tag, int fd, GIOCondition events)
{
    if (!events) {
        if (*tag)
            g_source_remove_unix_fd(&console->source, *tag);
        *tag = NULL;
    } else if (*tag) {
        g_source_modify_unix_fd(&console->source, *tag, events);
    } else {
        *tag = g_source_add_unix_fd(&console->source, fd, events);
    }
}

/* ---- output ----------------------------------------------------------------------------- */

/* Write some queued bytes; returns false when the fd takes nothing more now or ever. Caller
 * holds drain_lock. */
static bool drain_some(struct console *console)
{
    g_mutex_lock(&console->ring_lock);
    size_t head = console->ring_head;
    size_t len = MIN(console->ring_len, CONSOLE_RING_SIZE - head);
    g_mutex_unlock(&console->ring_lock);

    if (len == 0 || console->out_dead)
        return false;
    len = MIN(len, (size_t)CONSOLE_WRITE_CHUNK);
    ssize_t done = write(console->out_fd, console->ring + head, len);
    if (done < 0 && (errno == EINTR || errno == EAGAIN))
        return false;
    if (done <= 0) {
        /* The reader went away (EPIPE) or the file system refuses: drop the rest. Once per
         * console, since output stops here. */
        vmb_log_warn("console output: %s; further output is dropped",
                     done < 0 ? g_strerror(errno) : "write returned 0");
        console->out_dead = true;
        g_mutex_lock(&console->ring_lock);
        atomic_fetch_add(&console->dropped, console->ring_len);
        console->ring_len = 0;
        g_mutex_unlock(&console->ring_lock);
        return false;
    }
    g_mutex_lock(&console->ring_lock);
    console->ring_head = (console->ring_head + (size_t)done) % CONSOLE_RING_SIZE;
    console->ring_len -= (size_t)done;
    g_mutex_unlock(&console->ring_lock);
    return true;
}

void console_write(struct console *console, const uint8_t *buf, size_t len)
{
    bool kick = false;

    if (!console || len == 0 || console->kind == CONSOLE_NONE)
        return;
    if (console->kind == CONSOLE_MEMORY) {
        g_mutex_lock(&console->ring_lock);
        size_t take = MIN(len, CONSOLE_CAPTURE_SIZE - console->captured->len);
        g_byte_array_append(console->captured, buf, (guint)take);
        g_mutex_unlock(&console->ring_lock);
        if (take < len)
            atomic_fetch_add(&console->dropped, len - take);
        return;
    }
    g_mutex_lock(&console->ring_lock);
    size_t room = CONSOLE_RING_SIZE - console->ring_len;
    size_t take = MIN(len, room);
    size_t tail = (console->ring_head + console->ring_len) % CONSOLE_RING_SIZE;
    size_t first = MIN(take, CONSOLE_RING_SIZE - tail);
    memcpy(console->ring + tail, buf, first);
    memcpy(console->ring, buf + first, take - first);
    console->ring_len += take;
    if (take > 0 && !console->out_armed && !console->kick_pending) {
        console->kick_pending = true;
        kick = true;
    }
    g_mutex_unlock(&console->ring_lock);

    if (take < len)
        atomic_fetch_add(&console->dropped, len - take);
    if (kick)
        g_source_set_ready_time(&console->source, 0);
}

/* I/O thread: write what is queued and watch for writability only while bytes remain. */
static void service_output(struct console *console, bool writable)
{
    if (writable && g_mutex_trylock(&console->drain_lock)) {
        /* One chunk per wakeup keeps input responsive while a slow terminal drains. */
        drain_some(console);
        g_mutex_unlock(&console->drain_lock);
    }
    g_mutex_lock(&console->ring_lock);
    bool want = console->ring_len > 0 && !console->out_dead;
    bool changed = want != console->out_armed;
    console->out_armed = want;
    console->kick_pending = false;
    g_mutex_unlock(&console->ring_lock);
    if (changed)
        watch_fd_events(console, &console->out_tag, console->out_fd, want ? G_IO_OUT : 0);
}

/* Blocking flush with a stall limit (main thread, the end of a run, or at exit). */
static void console_flush(struct console *console, int stall_ms)
{
    if (console->kind == CONSOLE_NONE || console->kind == CONSOLE_MEMORY)
        return;
    /* A dispatch may be mid-write on the I/O thread: wait for it, but not forever (atexit may
     * run while that thread is stuck on a full pipe). */
    gint64 deadline = g_get_monotonic_time() + (gint64)stall_ms * 1000;
    while (!g_mutex_trylock(&console->drain_lock)) {
        if (g_get_monotonic_time() > deadline)
            return;
        g_usleep(1000);
    }
    int idle_ms = 0;
    while (!console->out_dead && idle_ms < stall_ms) {
        g_mutex_lock(&console->ring_lock);
        size_t queued = console->ring_len;
        g_mutex_unlock(&console->ring_lock);
        if (queued == 0)
            break;
        struct pollfd pfd = {.fd = console->out_fd, .events = POLLOUT};
        int ready = poll(&pfd, 1, 100);
        if (ready > 0 && drain_some(console))
            idle_ms = 0;
        else if (ready == 0)
            idle_ms += 100;
        else if (ready < 0 && errno != EINTR)
            break;
        else if (ready > 0 && (pfd.revents & (POLLERR | POLLNVAL)))
            break;
    }
    g_mutex_lock(&console->ring_lock);
    if (console->ring_len) {
        atomic_fetch_add(&console->dropped, console->ring_len);
        console->ring_len = 0;
    }
    g_mutex_unlock(&console->ring_lock);
    g_mutex_unlock(&console->drain_lock);
}

/* ---- input ------------------------------------------------------------------------------ */

/* Bytes from an interactive terminal: handle the Ctrl-A escapes, copying `in` to `out`. The
 * output is at most one byte longer than the input (a Ctrl-A held over from the last read). */
static size_t filter_escapes(struct console *console, const uint8_t *in, size_t len, uint8_t *out,
                             bool *quit)
{
    size_t count = 0;

    for (size_t i = 0; i < len; i++) {
        uint8_t byte = in[i];
        if (!console->escape) {
            if (byte == CTRL_A)
                console->escape = true;
            else
                out[count++] = byte;
            continue;
        }
        console->escape = false;
        if (byte == 'x' || byte == 'X') {
            *quit = true;
            return count;
        } else if (byte == CTRL_A) {
            out[count++] = CTRL_A;
        } else if (byte == 'h' || byte == 'H' || byte == '?') {
            /* The terminal keeps output processing, so "\n" also returns the carriage. */
            static const char help[] = "\nC-a x    exit vmboard\n"
                                       "C-a C-a  send C-a to the guest\n"
                                       "C-a h    this help\n";
            console_write(console, (const uint8_t *)help, sizeof(help) - 1);
        } else {
            /* Not an escape we know: pass both keys on rather than swallow them. */
            out[count++] = CTRL_A;
            out[count++] = byte;
        }
    }
    return count;
}

/* Offer pending bytes to the device. Returns false if the device lock was busy. */
static bool deliver_pending(struct console *console)
{
    bool delivered = true;

    g_mutex_lock(&console->in_lock);
    if (console->closed || console->pending_len == 0) {
        g_mutex_unlock(&console->in_lock);
        return true;
    }
    /* trylock: console_close may run with the device lock held and then wait for in_lock. */
    if (console->device_lock && !g_mutex_trylock(console->device_lock)) {
        delivered = false;
    } else {
        /* Read section: see timer_dispatch in loop.c. */
        rcu_read_lock();
        size_t taken = console->input(console->opaque, console->pending + console->pending_off,
                                      console->pending_len);
        rcu_read_unlock();
        if (console->device_lock)
            g_mutex_unlock(console->device_lock);
        taken = MIN(taken, console->pending_len);
        console->pending_off += taken;
        console->pending_len -= taken;
    }
    g_mutex_unlock(&console->in_lock);
    return delivered;
}

static void read_input(struct console *console, bool *quit)
{
    uint8_t raw[CONSOLE_INPUT_SIZE - 1]; /* escapes may add one byte */
    ssize_t got = read(console->in_fd, raw, sizeof(raw));
    if (got < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (got <= 0) {
        /* EOF (a pipe or file ran out) or a hung-up terminal: no more input, output goes on. */
        console->in_eof = true;
        return;
    }
    size_t len = (size_t)got;
    if (console->raw_terminal)
        len = filter_escapes(console, raw, len, console->pending, quit);
    else
        memcpy(console->pending, raw, len);
    console->pending_off = 0;
    console->pending_len = len;
}

static void service_input(struct console *console, GIOCondition revents)
{
    bool quit = false;

    if (console->in_fd < 0 || !console->input)
        return;
    if (console->pending_len == 0 && !console->in_eof) {
        if (revents & (G_IO_IN | G_IO_HUP | G_IO_ERR))
            read_input(console, &quit);
        else if (revents & G_IO_NVAL)
            console->in_eof = true;
    }
    if (quit && console->quit)
        console->quit(console->quit_opaque);

    if (console->pending_len > 0 &&
        (atomic_exchange(&console->deliver_wanted, false) || (revents & (G_IO_IN | G_IO_HUP)))) {
        if (!deliver_pending(console)) {
            atomic_store(&console->deliver_wanted, true);
            g_source_set_ready_time(&console->source, g_get_monotonic_time() + CONSOLE_RETRY_US);
        }
    }
    /* Read more only once the device took everything: it is the flow control. */
    bool want = console->pending_len == 0 && !console->in_eof;
    if (want != (console->in_tag != NULL))
        watch_fd_events(console, &console->in_tag, console->in_fd,
                        want ? G_IO_IN | G_IO_HUP | G_IO_ERR : 0);
}

void console_accept(struct console *console)
{
    if (console && console->kind == CONSOLE_MEMORY) {
        /* The harness offers the queue again at its next step (console_pump). */
        atomic_store(&console->deliver_wanted, true);
        return;
    }
    if (!console || console->in_fd < 0)
        return;
    atomic_store(&console->deliver_wanted, true);
    g_source_set_ready_time(&console->source, 0);
}

/* ---- the source ------------------------------------------------------------------------- */

static gboolean console_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
    struct console *console = (struct console *)source;

    /* Clear the wakeup before looking at the state, so a producer's later kick is not lost. */
    g_source_set_ready_time(source, -1);
    GIOCondition out_events =
        console->out_tag ? g_source_query_unix_fd(source, console->out_tag) : 0;
    GIOCondition in_events = console->in_tag ? g_source_query_unix_fd(source, console->in_tag) : 0;

    /* NVAL/ERR count as writable: the write then fails and output stops for good. */
    service_output(console, (out_events & (G_IO_OUT | G_IO_ERR | G_IO_HUP | G_IO_NVAL)) != 0);
    service_input(console, in_events);
    return G_SOURCE_CONTINUE;
}

static void console_finalize(GSource *source)
{
    struct console *console = (struct console *)source;

    if (console->close_out_fd && console->out_fd >= 0)
        close(console->out_fd);
    g_free(console->ring);
    g_free(console->owner);
    if (console->captured)
        g_byte_array_unref(console->captured);
    if (console->injected)
        g_byte_array_unref(console->injected);
    g_mutex_clear(&console->ring_lock);
    g_mutex_clear(&console->drain_lock);
    g_mutex_clear(&console->in_lock);
}

static GSourceFuncs console_funcs = {
    .dispatch = console_dispatch,
    .finalize = console_finalize,
};

/* ---- open and close --------------------------------------------------------------------- */

static bool claim_stdio(struct console *console, GError **error)
{
    bool ok;

    g_mutex_lock(&consoles_lock);
    ok = stdio_owner == NULL;
    if (ok) {
        stdio_owner = console;
    } else if (stdio_owner->owner) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "console stdio is already used by %s; give this device "
                    "`console: file:PATH` or `console: none`",
                    stdio_owner->owner);
    } else {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "console stdio is already used by another device; give this device "
                    "`console: file:PATH` or `console: none`");
    }
    g_mutex_unlock(&consoles_lock);
    return ok;
}

struct console *console_open(struct loop *loop, const char *spec, console_input_fn input,
                             void *opaque, GMutex *lock, void (*quit)(void *), void *quit_opaque,
                             GError **error)
{
    if (!console_spec_valid(spec, error))
        return NULL;

    struct console *console =
        (struct console *)g_source_new(&console_funcs, sizeof(struct console));
    g_source_set_name(&console->source, "console");
    console->out_fd = -1;
    console->in_fd = -1;
    console->input = input;
    console->opaque = opaque;
    console->device_lock = lock;
    console->quit = quit;
    console->quit_opaque = quit_opaque;
    g_mutex_init(&console->ring_lock);
    g_mutex_init(&console->drain_lock);
    g_mutex_init(&console->in_lock);
    atomic_init(&console->dropped, 0);
    atomic_init(&console->deliver_wanted, false);
    atomic_init(&console->out_dead, false);

    if (strcmp(spec, "none") == 0) {
        console->kind = CONSOLE_NONE;
        return console; /* never attached: nothing to watch */
    }
    if (loop_is_deterministic(loop)) {
        /* Nothing to watch either: the harness drives input and reads output itself. */
        console->kind = CONSOLE_MEMORY;
        console->captured = g_byte_array_new();
        console->injected = g_byte_array_new();
        return console;
    }
    if (strcmp(spec, "stdio") == 0) {
        console->kind = CONSOLE_STDIO;
        if (!claim_stdio(console, error)) {
            g_source_unref(&console->source);
            return NULL;
        }
        console->out_fd = STDOUT_FILENO;
        if (input) {
            console->in_fd = STDIN_FILENO;
            if (isatty(STDIN_FILENO)) {
                if (!terminal_make_raw(error)) {
                    g_mutex_lock(&consoles_lock);
                    stdio_owner = NULL;
                    g_mutex_unlock(&consoles_lock);
                    g_source_unref(&console->source);
                    return NULL;
                }
                console->raw_terminal = true;
            }
        }
    } else {
        const char *path = spec + strlen("file:");
        console->kind = CONSOLE_FILE;
        console->out_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (console->out_fd < 0) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_FAILED, "console file '%s': %s", path,
                        g_strerror(errno));
            g_source_unref(&console->source);
            return NULL;
        }
        console->close_out_fd = true;
    }

    console->ring = g_malloc(CONSOLE_RING_SIZE);
    if (console->in_fd >= 0)
        console->in_tag =
            g_source_add_unix_fd(&console->source, console->in_fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
    g_source_set_ready_time(&console->source, -1);

    g_mutex_lock(&consoles_lock);
    if (!open_consoles)
        open_consoles = g_ptr_array_new();
    g_ptr_array_add(open_consoles, console);
    if (!atexit_registered) {
        atexit_registered = true;
        atexit(console_atexit);
    }
    g_mutex_unlock(&consoles_lock);

    g_source_attach(&console->source, loop_context(loop));
    return console;
}

void console_set_owner(struct console *console, const char *owner)
{
    if (!console)
        return;
    g_mutex_lock(&consoles_lock);
    g_free(console->owner);
    console->owner = g_strdup(owner);
    g_mutex_unlock(&consoles_lock);
}

void console_close(struct console *console)
{
    if (!console)
        return;

    g_mutex_lock(&console->in_lock);
    console->closed = true;
    g_mutex_unlock(&console->in_lock);

    if (console->kind != CONSOLE_NONE && console->kind != CONSOLE_MEMORY) {
        g_source_destroy(&console->source);
        console_flush(console, CONSOLE_FLUSH_STALL_MS);
        /* A dispatch still running may not write any more: its fd is about to close. */
        g_mutex_lock(&console->drain_lock);
        console->out_dead = true;
        g_mutex_unlock(&console->drain_lock);

        uint64_t dropped = atomic_load(&console->dropped);
        if (dropped)
            vmb_log_warn("console %s dropped %" G_GUINT64_FORMAT " output bytes",
                         console->kind == CONSOLE_STDIO ? "stdio" : "file", dropped);
    }

    g_mutex_lock(&consoles_lock);
    if (open_consoles)
        g_ptr_array_remove_fast(open_consoles, console);
    if (stdio_owner == console) {
        stdio_owner = NULL;
        if (console->raw_terminal)
            console_restore_terminal();
    }
    g_mutex_unlock(&consoles_lock);

    g_source_unref(&console->source);
}

uint64_t console_dropped(struct console *console)
{
    return console ? atomic_load(&console->dropped) : 0;
}

/* ---- memory consoles -------------------------------------------------------------------- */

bool console_is_memory(struct console *console)
{
    return console && console->kind == CONSOLE_MEMORY;
}

/* Offer the injected queue to the device once, under its lock. */
static void offer_injected(struct console *console)
{
    g_mutex_lock(&console->in_lock);
    if (!console->closed && console->injected->len && console->input) {
        if (console->device_lock)
            g_mutex_lock(console->device_lock);
        size_t taken =
            console->input(console->opaque, console->injected->data, console->injected->len);
        if (console->device_lock)
            g_mutex_unlock(console->device_lock);
        g_byte_array_remove_range(console->injected, 0, (guint)MIN(taken, console->injected->len));
    }
    g_mutex_unlock(&console->in_lock);
}

void console_inject(struct console *console, const uint8_t *buf, size_t len)
{
    if (!console_is_memory(console))
        return;
    g_mutex_lock(&console->in_lock);
    g_byte_array_append(console->injected, buf, (guint)len);
    g_mutex_unlock(&console->in_lock);
    atomic_store(&console->deliver_wanted, false);
    offer_injected(console);
}

void console_pump(struct console *console)
{
    if (console_is_memory(console) && atomic_exchange(&console->deliver_wanted, false))
        offer_injected(console);
}

size_t console_queued_input(struct console *console)
{
    if (!console_is_memory(console))
        return 0;
    g_mutex_lock(&console->in_lock);
    size_t len = console->injected->len;
    g_mutex_unlock(&console->in_lock);
    return len;
}

const uint8_t *console_captured(struct console *console, size_t *len)
{
    if (!console_is_memory(console)) {
        *len = 0;
        return NULL;
    }
    g_mutex_lock(&console->ring_lock);
    const uint8_t *data = console->captured->data;
    *len = console->captured->len;
    g_mutex_unlock(&console->ring_lock);
    return data;
}

void console_clear_captured(struct console *console)
{
    if (!console_is_memory(console))
        return;
    g_mutex_lock(&console->ring_lock);
    g_byte_array_set_size(console->captured, 0);
    g_mutex_unlock(&console->ring_lock);
}
