#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Shell functions for running cross-built vmboard files inside the nested arm64 VM that
# tests/arm64/nested.sh boots (docs/arm64.md, "Tests"), for scripts other than the suite:
# sourced by bench/arm64-exit.sh. They follow nested.sh step by step (same tools, same cross
# tree in the cache, same QEMU machine) so both share one cross build; nested.sh can source
# them once its own copy of these steps is folded in.
#
#   arm64_setup SRCDIR BUILDDIR       sets arm64_srcdir, arm64_builddir, arm64_cache, arm64_cross
#   arm64_missing_tools               prints what is missing, nothing when all is there
#   arm64_cross_build TARGET...       make TARGET... in the cross tree (configured on demand)
#   arm64_fetch                       sets arm64_kernel and arm64_busybox
#   arm64_add_libraries ROOT FILE...  copies the arm64 shared libraries FILE... need into ROOT
#   arm64_boot INITRAMFS LOG SECONDS  boots the VM with KVM at EL2; returns QEMU's status
# Functions print what went wrong on stdout and return non-zero.

arm64_cross_host=aarch64-linux-gnu
arm64_libdir=/usr/lib/aarch64-linux-gnu

arm64_setup() {
    arm64_srcdir=$(cd "$1" && pwd)
    arm64_builddir=$(cd "$2" && pwd)
    arm64_cache=${VMBOARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmboard}
    export VMBOARD_CACHE=$arm64_cache
    # The suite's tree for this build directory: one cross build serves both.
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

arm64_cross_build() {
    local src=$arm64_srcdir
    mkdir -p "$arm64_cross"
    if [ -f "$arm64_srcdir/config.status" ]; then
        # A source tree configured in place cannot host a second build: build from a mirror
        # of its sources (tar keeps mtimes, so make rebuilds only what changed).
        src=$arm64_cross/src
        mkdir -p "$src"
        (cd "$arm64_srcdir" &&
            { git ls-files -co --exclude-standard 2>/dev/null ||
                  find . -type f ! -name '*.o' ! -name '*.a' ! -name '*.so' ! -name '*.log' \
                      ! -name config.status ! -name Makefile ! -name config.h \
                      ! -path './tests/*.trs'; \
              printf '%s\n' configure Makefile.in aclocal.m4 config.h.in; \
              find build-aux m4 -type f; } | sort -u | tar -cf - -T -) |
            (cd "$src" && tar -xf -) ||
            { echo "copying the sources for the cross build failed"; return 1; }
    fi
    if [ ! -f "$arm64_cross/Makefile" ] ||
        [ "$src/configure" -nt "$arm64_cross/config.status" ]; then
        (cd "$arm64_cross" &&
            PKG_CONFIG_LIBDIR=$arm64_libdir/pkgconfig:/usr/share/pkgconfig \
                "$src/configure" --host=$arm64_cross_host --enable-werror -q) \
            >"$arm64_cross/configure.log" 2>&1 ||
            { cat "$arm64_cross/configure.log"
              echo "configure --host=$arm64_cross_host failed"; return 1; }
    fi
    make -C "$arm64_cross" -j2 "$@" >"$arm64_cross/make.log" 2>&1 ||
        { tail -n 40 "$arm64_cross/make.log"
          echo "the arm64 cross build failed ($arm64_cross/make.log)"; return 1; }
}

arm64_fetch() {
    local fetched
    fetched=$("$arm64_srcdir/scripts/arm64/fetch-kernel") ||
        { echo "fetching the arm64 kernel failed"; return 1; }
    arm64_kernel=$(printf '%s\n' "$fetched" | sed -n 's/^KERNEL=//p')
    arm64_busybox=$(printf '%s\n' "$fetched" | sed -n 's/^BUSYBOX=//p')
    if [ ! -f "$arm64_kernel" ] || [ ! -x "$arm64_busybox" ]; then
        echo "scripts/arm64/fetch-kernel gave no kernel or busybox: $fetched"
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
        { echo "no arm64 dynamic loader"; return 1; }
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
            [ -n "$found" ] || { echo "no arm64 $lib for $file"; return 1; }
            cp -L "$found" "$root/lib/$arm64_cross_host/$lib"
            pending+=("$root/lib/$arm64_cross_host/$lib")
        done
    done
}

# Debian's kernel starts at EL2 on this machine and brings up KVM; pauth-impdef=on keeps TCG
# about 3x faster. The console goes to LOG with the carriage returns stripped.
arm64_boot() {
    local initramfs=$1 log=$2 seconds=$3 status
    timeout --kill-after=10 "$seconds" qemu-system-aarch64 \
        -machine virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on -smp 2 -m 1024 \
        -nographic -no-reboot -kernel "$arm64_kernel" -initrd "$initramfs" \
        -append "console=ttyAMA0 panic=-1 loglevel=4" </dev/null >"$log" 2>&1
    status=$?
    tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
    return $status
}
