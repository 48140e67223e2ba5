# SPDX-License-Identifier: GPL-2.0-or-later
# The steps shared by the scripts that run cross-built vmboard files inside a nested arm64 VM
# on an x86_64 host (docs/arm64.md, "Tests"): tests/arm64/nested.sh (the suite) and
# bench/arm64-exit.sh (the exit-cost benchmark). Sourced by both (bash), so they use the same
# tools, the same cross tree in the cache and the same QEMU machine.
#
#   arm64_setup SRCDIR BUILDDIR       sets arm64_srcdir, arm64_builddir, arm64_cache, arm64_cross
#   arm64_missing_tools               prints what is missing, nothing when all is there
#   arm64_install_tools LOG           as root with apt-get, installs what is missing with
#                                     scripts/arm64/install-deps (output to LOG); sets
#                                     arm64_missing to what is still missing either way
#   arm64_cross_build TARGET...       make TARGET... in the cross tree (configured on demand)
#   arm64_fetch                       sets arm64_kernel, arm64_modules and arm64_busybox
#   arm64_add_libraries ROOT FILE...  copies the arm64 shared libraries FILE... need into ROOT
#   arm64_boot INITRAMFS LOG SECONDS  boots the VM with KVM at EL2; returns QEMU's status
# The caller defines say MESSAGE, used for progress. A function that fails prints the logs
# that tell why, sets arm64_error to one line saying what failed and returns non-zero.

# The arm64_* variables the functions set are for the caller.
# shellcheck shell=bash disable=SC2034
arm64_cross_host=aarch64-linux-gnu
arm64_libdir=/usr/lib/aarch64-linux-gnu

arm64_setup() {
    arm64_srcdir=$(cd "$1" && pwd) || return 1
    arm64_builddir=$(cd "$2" && pwd) || return 1
    arm64_cache=${VMBOARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmboard}
    export VMBOARD_CACHE=$arm64_cache
    # One tree per build directory, in the cache so `make distcheck` leaves nothing behind and
    # a second run only rebuilds what changed; the suite and the benchmark share it.
    arm64_cross=$arm64_cache/arm64/cross-$(printf '%s' "$arm64_builddir" | md5sum | cut -c1-12)
}

arm64_missing_tools() {
    local absent=() pc
    command -v $arm64_cross_host-gcc >/dev/null || absent+=(gcc-aarch64-linux-gnu)
    command -v qemu-system-aarch64 >/dev/null || absent+=(qemu-system-arm)
    command -v cpio >/dev/null || absent+=(cpio)
    for pc in glib-2.0 yaml-0.1 check; do
        [ -f $arm64_libdir/pkgconfig/$pc.pc ] || absent+=("$pc:arm64")
    done
    [ -f $arm64_libdir/libfdt.so ] || absent+=(libfdt-dev:arm64)
    apt-cache show linux-image-arm64:arm64 >/dev/null 2>&1 || absent+=("arm64 apt lists")
    echo "${absent[@]}"
}

arm64_install_tools() {
    local log=$1 status=0
    arm64_missing=$(arm64_missing_tools)
    if [ -n "$arm64_missing" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing $arm64_missing with scripts/arm64/install-deps"
        "$arm64_srcdir/scripts/arm64/install-deps" >"$log" 2>&1 || status=$?
        arm64_missing=$(arm64_missing_tools)
    fi
    [ $status = 0 ] || { arm64_error="installing the arm64 tools failed ($log)"; return 1; }
}

arm64_cross_build() {
    local src=$arm64_srcdir
    mkdir -p "$arm64_cross"
    if [ -f "$arm64_srcdir/config.status" ]; then
        # configure refuses a second build of a source tree that was configured in place (as
        # the README does), so build from a mirror of its sources: tracked and untracked-but-
        # not-ignored files plus what autoreconf generated. tar keeps mtimes: make rebuilds
        # only what changed.
        src=$arm64_cross/src
        mkdir -p "$src"
        (cd "$arm64_srcdir" &&
            { git ls-files -co --exclude-standard 2>/dev/null ||
                  find . -type f ! -name '*.o' ! -name '*.a' ! -name '*.so' ! -name '*.log' \
                      ! -name config.status ! -name Makefile ! -name config.h \
                      ! -path './tests/*.trs'; \
              printf '%s\n' configure Makefile.in aclocal.m4 config.h.in; \
              find build-aux m4 -type f; } | sort -u |
            # git lists files deleted but not yet committed: copy only what exists.
            while IFS= read -r file; do [ -e "$file" ] && printf '%s\n' "$file"; done |
            tar -cf - -T -) |
            (cd "$src" && tar -xf -) ||
            { arm64_error="copying the sources for the cross build failed"; return 1; }
    fi
    if [ ! -f "$arm64_cross/Makefile" ] ||
        [ "$src/configure" -nt "$arm64_cross/config.status" ]; then
        (cd "$arm64_cross" &&
            PKG_CONFIG_LIBDIR=$arm64_libdir/pkgconfig:/usr/share/pkgconfig \
                "$src/configure" --host=$arm64_cross_host --enable-werror -q) \
            >"$arm64_cross/configure.log" 2>&1 ||
            { cat "$arm64_cross/configure.log"
              arm64_error="configure --host=$arm64_cross_host failed"; return 1; }
    fi
    make -C "$arm64_cross" -j2 "$@" >"$arm64_cross/make.log" 2>&1 ||
        { tail -n 40 "$arm64_cross/make.log"
          arm64_error="the arm64 cross build failed ($arm64_cross/make.log)"; return 1; }
}

arm64_fetch() {
    local fetched
    fetched=$("$arm64_srcdir/scripts/arm64/fetch-kernel") ||
        { arm64_error="fetching the arm64 kernel failed"; return 1; }
    arm64_kernel=$(printf '%s\n' "$fetched" | sed -n 's/^KERNEL=//p')
    arm64_busybox=$(printf '%s\n' "$fetched" | sed -n 's/^BUSYBOX=//p')
    arm64_modules=$(printf '%s\n' "$fetched" | sed -n 's/^MODULES=//p')
    if [ ! -f "$arm64_kernel" ] || [ ! -x "$arm64_busybox" ] || [ ! -d "$arm64_modules" ]; then
        arm64_error="scripts/arm64/fetch-kernel gave no kernel, modules or busybox: $fetched"
        return 1
    fi
}

# The dynamic loader in ROOT/lib, the libraries in ROOT/lib/aarch64-linux-gnu, found by
# following DT_NEEDED from FILE... and from the libraries themselves.
arm64_add_libraries() {
    local root=$1 file lib dir found
    shift
    local pending=("$@")
    local -A copied=()
    mkdir -p "$root/lib/$arm64_cross_host"
    cp -L $arm64_libdir/ld-linux-aarch64.so.1 "$root/lib/" 2>/dev/null ||
        cp -L /usr/$arm64_cross_host/lib/ld-linux-aarch64.so.1 "$root/lib/" ||
        { arm64_error="no arm64 dynamic loader"; return 1; }
    while [ ${#pending[@]} -gt 0 ]; do
        file=${pending[0]}
        pending=("${pending[@]:1}")
        for lib in $($arm64_cross_host-readelf -d "$file" |
                         sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
            [ -n "${copied[$lib]:-}" ] && continue
            copied[$lib]=1
            found=""
            for dir in $arm64_libdir /lib/$arm64_cross_host /usr/$arm64_cross_host/lib; do
                if [ -e "$dir/$lib" ]; then found=$dir/$lib; break; fi
            done
            [ -n "$found" ] || { arm64_error="no arm64 $lib for $file"; return 1; }
            cp -L "$found" "$root/lib/$arm64_cross_host/$lib"
            pending+=("$root/lib/$arm64_cross_host/$lib")
        done
    done
}

# Debian's kernel starts at EL2 on this machine and brings up KVM; pauth-impdef=on keeps TCG
# about 3x faster. The console goes to LOG with the carriage returns stripped.
arm64_boot() {
    local initramfs=$1 log=$2 seconds=$3 status
    # One outer VM at a time, shared with scripts/x86/nested-run (see there).
    flock "${TMPDIR:-/tmp}/vmboard-outer-vm.lock" \
        timeout --kill-after=10 "$seconds" qemu-system-aarch64 \
        -machine virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on -smp 2 -m 1024 \
        -nographic -no-reboot -kernel "$arm64_kernel" -initrd "$initramfs" \
        -append "console=ttyAMA0 panic=-1 loglevel=4" </dev/null >"$log" 2>&1
    status=$?
    tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
    return $status
}
