#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The plugin SDK as a newcomer gets it: `make install` into a staging directory, copy the
# installed examples/out-of-tree somewhere outside the source tree, build it with nothing but
# pkg-config, run its devtest script and C test, validate its board, and boot its guest with
# the installed vmboard.
#
# Booting needs an x86_64 host (the guest is x86) and a KVM: /dev/kvm, or else the one inside
# the outer VM of scripts/x86/nested-run (QEMU); without either the test skips (77) after the
# other steps passed, unless CI=true, where that is a failure.
set -u

: "${VMB_TEST_BUILDDIR:?run this through make check}"
top_builddir=$(cd "$VMB_TEST_BUILDDIR/.." && pwd)
stage=$(mktemp -d "${TMPDIR:-/tmp}/vmb-sdk-XXXXXX") || exit 99
trap 'rm -rf "$stage" "$stage.tar"' EXIT

fail() {
    echo "FAIL: $*"
    exit 1
}
pass() {
    echo "ok: $*"
}
# Run a command quietly; on failure show its output and fail with the description.
quiet() {
    what=$1
    shift
    if ! "$@" >"$stage/step.log" 2>&1; then
        cat "$stage/step.log"
        fail "$what"
    fi
    pass "$what"
}

# The parent make's job server and flags mean nothing to the makes started here.
unset MAKEFLAGS MFLAGS MAKELEVEL
# Nothing from the build tree may leak into the staged install's runs.
unset VMBOARD_PLUGIN_PATH

root="$stage/root"
quiet "make install DESTDIR=$root" make -C "$top_builddir" install DESTDIR="$root"

# pkg-config sees only the staged install; the sysroot maps its paths into the stage.
pcfile=$(find "$root" -name vmboard-plugin.pc | head -n 1)
[ -n "$pcfile" ] || fail "vmboard-plugin.pc was not installed"
PKG_CONFIG_LIBDIR=$(dirname "$pcfile")
PKG_CONFIG_SYSROOT_DIR=$root
export PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR
unset PKG_CONFIG_PATH
pkg-config --exists vmboard-plugin vmboard-devtest || fail "pkg-config cannot use the installed .pc files"

vmboard=$(pkg-config --variable=vmboard vmboard-plugin)
devtest=$(pkg-config --variable=devtest vmboard-devtest)
plugindir=$(pkg-config --variable=plugindir vmboard-plugin)
includedir=$(pkg-config --variable=includedir vmboard-plugin)
libdir=$(pkg-config --variable=libdir vmboard-devtest)
for file in "$vmboard" "$devtest" "$includedir/vmboard/plugin.h" "$includedir/vmboard/devtest.h" \
    "$libdir/libvmboard-devtest.a" "$plugindir/uart-16550.so" "$plugindir/debug-exit.so" \
    "$plugindir/fw-cfg.so"; do
    [ -f "$file" ] || fail "not installed: $file"
done
pass "installed: vmboard, vmboard-devtest, headers, library, .pc files, plugins in $plugindir"

# The example as installed with the documentation, copied out of every tree.
makefile=$(find "$root" -path '*/examples/out-of-tree/Makefile' | head -n 1)
[ -n "$makefile" ] || fail "examples/out-of-tree was not installed with the documentation"
work="$stage/my-device"
cp -R "$(dirname "$makefile")" "$work" || fail "cannot copy the example"
chmod -R u+w "$work"

quiet "example builds with pkg-config only" make -C "$work"
# A plugin links against nothing: every vmb_ name it uses comes through the host table.
if nm -D --undefined-only "$work/watchdog.so" | grep -q 'vmb_'; then
    fail "watchdog.so needs vmboard symbols at link time"
fi
pass "watchdog.so needs no vmboard library"

quiet "example's devtest script and C test pass (make check)" make -C "$work" check

# The installed vmboard knows the type and validates the board without KVM.
(cd "$work" && "$vmboard" plugins --verbose --plugin-path .) >"$stage/plugins.out" 2>&1 ||
    { cat "$stage/plugins.out"; fail "vmboard plugins"; }
grep -q '^example-watchdog ' "$stage/plugins.out" && grep -q 'exit-status' "$stage/plugins.out" ||
    { cat "$stage/plugins.out"; fail "vmboard plugins --verbose does not show example-watchdog"; }
pass "vmboard plugins --verbose lists example-watchdog and its properties"

case $(uname -m) in
x86_64) ;;
*)
    echo "SKIP: booting the x86 demo guest needs an x86_64 host"
    exit 77
    ;;
esac

# The staged vmboard was built for the final prefix; its plugins are in the stage instead.
export VMBOARD_PLUGIN_PATH="$plugindir"
quiet "vmboard check board.yaml" sh -c "cd '$work' && '$vmboard' check --plugin-path . board.yaml"

# boot_nested: the same run inside the outer VM of scripts/x86/nested-run, for a host without
# a usable /dev/kvm: the stage goes in at its own path, and the run's status, output and
# errors come back in run.out and run.err. Skips (77) without QEMU, unless CI=true.
boot_nested() {
    x86_scripts=$(cd "$VMB_TEST_SRCDIR/../scripts/x86" && pwd)
    . "$x86_scripts/nested-lib.sh"
    nested_require devtest-example qemu-system-x86_64:qemu-system-x86
    echo "no usable /dev/kvm here: booting the guest inside the nested x86 VM"
    tar -C / -cf "$stage.tar" "${stage#/}" || fail "cannot pack the stage"
    cat >"$stage/nested-run.sh" <<SCRIPT
#!/bin/sh
tar -C / -xf /payload/stage.tar || exit 1
cd '$work'
VMBOARD_PLUGIN_PATH='$plugindir' time-limit 600 '$vmboard' run --plugin-path . board.yaml \\
    </dev/null >run.out 2>run.err
echo "VMB-DEMO-STATUS=\$?"
sed 's/^/VMB-DEMO-OUT: /' run.out
sed 's/^/VMB-DEMO-ERR: /' run.err
SCRIPT
    nested_log=$stage/nested-console
    nested_boot "$top_builddir" 900 "$stage/nested-run.sh" "$stage.tar=stage.tar"
    rm -f "$stage.tar"
    sed -n 's/^VMB-DEMO-OUT: //p' "$log.txt" >"$stage/run.out"
    sed -n 's/^VMB-DEMO-ERR: //p' "$log.txt" >"$stage/run.err"
    status=$(sed -n 's/^VMB-DEMO-STATUS=\([0-9]*\)$/\1/p' "$log.txt")
    if [ -z "$status" ]; then
        cat "$log.txt"
        fail "the nested x86 VM did not run the guest (nested-run status $nested_status)"
    fi
}

if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    (cd "$work" && timeout 120 "$vmboard" run --plugin-path . board.yaml </dev/null \
        >"$stage/run.out" 2>"$stage/run.err")
    status=$?
else
    boot_nested
fi
cat >"$stage/expected.out" <<'OUT'
watchdog found: timeout 300 ms, pre-timeout interrupt 200 ms before
pre-timeout 1: kick
pre-timeout 2: kick
pre-timeout 3: kick
pre-timeout 4: not kicking, the watchdog will end the run
OUT
if ! cmp -s "$stage/expected.out" "$stage/run.out" || [ "$status" -ne 3 ] ||
    ! grep -q 'wdt: expired: the guest did not kick it for 300 ms; ending the run' "$stage/run.err"; then
    echo "--- expected output, status 3:"
    cat "$stage/expected.out"
    echo "--- got output, status $status:"
    cat "$stage/run.out"
    echo "--- stderr:"
    cat "$stage/run.err"
    fail "the demo guest did not drive the watchdog to expiry"
fi
pass "guest kicked the watchdog 3 times, stopped, and the watchdog ended the run with status 3"
echo "PASS: out-of-tree example built, tested and booted against the staged install"
