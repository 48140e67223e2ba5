#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs inside the outer VM of tests/linux-x86.sh (scripts/x86/nested-run): boots the inner
# guest once per case and brackets each run's console with markers the host parses.
board=linux-x86.yaml
run_case() {
    name=$1 cpus=$2 action=$3 kernel=$4
    echo "VMB-CASE-BEGIN $name"
    time-limit 60 vmboard run "$board" --kernel "$kernel" --initrd guest.gz --cpus "$cpus" \
        --append "console=ttyS0 panic=-1 quiet vmb.action=$action" </dev/null
    echo "VMB-CASE-END $name status=$?"
}
run_case poweroff-1cpu 1 poweroff vmlinuz
run_case poweroff-2cpu 2 poweroff vmlinuz
run_case reboot 1 reboot vmlinuz
run_case panic 1 crash vmlinuz
[ -f vmlinux ] && run_case pvh 1 poweroff vmlinux
exit 0
