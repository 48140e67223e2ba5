# SPDX-License-Identifier: GPL-2.0-or-later
# Shell functions shared by the scripts that run Linux guests inside the outer VM of
# scripts/x86/nested-run (tests/linux-x86.sh, tests/virtio-linux.sh, bench/virtio-linux.sh)
# and by nested-run itself. Set x86_scripts to this directory, then source it.
# shellcheck shell=sh

# nested_test_setup NAME: for the test suites run by make check: build (the directory of
# $VMBOARD, the built binary) and a fresh $work directory.
nested_test_setup() {
    build=$(cd "$(dirname "${VMBOARD:-./vmboard}")" && pwd)
    nested_workdir "$1"
}

# nested_workdir NAME: a fresh $work directory, removed when the script exits.
nested_workdir() {
    work=$(mktemp -d "${TMPDIR:-/tmp}/vmboard-$1.XXXXXX")
    trap 'rm -rf "$work"' EXIT
}

# nested_install NAME COMMAND:PACKAGE...: installs the packages whose command is missing,
# when we are root (scripts/install-deps lists them); the log goes to $work/apt.log.
nested_install() {
    name=$1
    shift
    missing=
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || missing="$missing ${pair#*:}"
    done
    [ -n "$missing" ] && [ "$(id -u)" = 0 ] || return 0
    echo "$name: installing$missing"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
        >"$work/apt.log" 2>&1 ||
        { apt-get update -q >/dev/null 2>&1 &&
          DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
              $missing >"$work/apt.log" 2>&1; }
}

# nested_require NAME COMMAND:PACKAGE...: a test suite that cannot run without these skips
# (exit 77), or fails when CI is "true".
nested_require() {
    name=$1
    shift
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 && continue
        echo "$name: ${pair%%:*} is not available (apt-get install ${pair#*:})"
        [ "${CI:-}" = true ] && { echo "0 passed, 1 failed"; exit 1; }
        exit 77
    done
}

# nested_fetch_linux NAME: Debian's kernel and busybox (LINUX_VMLINUZ, LINUX_MODULES, BUSYBOX).
nested_fetch_linux() {
    eval "$("$x86_scripts/fetch-linux")" || { echo "$1: cannot fetch Debian's kernel"; exit 1; }
}

# nested_unpack_module FILE OUTPUT: a kernel module as the build ships it (.ko, .ko.xz,
# .ko.zst), uncompressed.
nested_unpack_module() {
    case $1 in
    *.xz) xz -dc "$1" > "$2" ;;
    *.zst) zstd -qdc "$1" > "$2" ;;
    *) cp "$1" "$2" ;;
    esac
}

# nested_module NAME OUTPUT: module NAME of $LINUX_MODULES, uncompressed; fails when the
# kernel has no such module.
nested_module() {
    found=$(find "$LINUX_MODULES/kernel" -name "$1.ko*" | head -n 1)
    [ -n "$found" ] || return 1
    nested_unpack_module "$found" "$2"
}

# nested_host_libraries BINARY...: the shared libraries (and the dynamic loader) the binaries
# load, at the host's paths, one a line.
nested_host_libraries() {
    ldd "$@" 2>/dev/null |
        awk '/^[[:space:]]/ && /=> \// {print $3} /^[[:space:]]+\/[^ ]*\/ld-linux/ {print $1}' |
        sort -u
}

# nested_libraries DIR BINARY...: FILE=DIR/NAME pairs for the shared libraries the binaries
# load, but libc (the outer VM has vmboard's).
nested_libraries() {
    dir=$1
    shift
    for library in $(ldd "$@" | awk '/=> \// {print $3}' | sort -u); do
        case ${library##*/} in
        libc.so.*) ;;
        *) printf '%s=%s/%s ' "$library" "$dir" "${library##*/}" ;;
        esac
    done
}

# nested_boot BUILD TIMEOUT SCRIPT FILE=PATH...: runs SCRIPT in the outer VM; its console,
# carriage returns removed, is in $log.txt ($log is $work/console.log, or $nested_log when
# set). Returns nested-run's status. When the outer VM's kernel locked up (status 75: QEMU's
# emulated SVM, not vmboard), the run is made again in a fresh VM, up to three runs in all;
# each locked-up console is kept in $log.locked-up-N.txt, and the message says so.
nested_boot() {
    nested_build=$1 nested_timeout=$2
    shift 2
    log=${nested_log:-$work/console.log}
    for nested_attempt in 1 2 3; do
        nested_status=0
        "$x86_scripts/nested-run" --build "$nested_build" --timeout "$nested_timeout" "$@" \
            </dev/null >"$log" 2>&1 || nested_status=$?
        tr -d '\r' < "$log" > "$log.txt"
        [ "$nested_status" = 75 ] && [ "$nested_attempt" -lt 3 ] || break
        tail -n 1 "$log.txt"
        echo "nested-run: running the cases again in a fresh outer VM" \
            "(run $((nested_attempt + 1)) of 3 at most)"
        mv "$log.txt" "$log.locked-up-$nested_attempt.txt"
    done
    return "$nested_status"
}

# Test suites: check DESCRIPTION COMMAND... counts and prints one result; check_summary
# prints the outer console when something failed (or VMB_TEST_VERBOSE is set) and the totals,
# and returns success only when all passed.
passed=0
failed=0
check() {
    description=$1
    shift
    if "$@"; then
        echo "ok - $description"
        passed=$((passed + 1))
    else
        echo "not ok - $description"
        failed=$((failed + 1))
    fi
}
check_summary() {
    if [ "$failed" != 0 ] || [ -n "${VMB_TEST_VERBOSE:-}" ]; then
        echo "---- outer VM console ----"
        cat "$log.txt"
    fi
    echo "$passed passed, $failed failed"
    [ "$failed" = 0 ]
}
