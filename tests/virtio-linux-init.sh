#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of the inner guest in tests/virtio-linux.sh: Debian's kernel finds the virtio-mmio
# devices through ACPI (LNRO0005); this reports what a user relies on, as VMB-GUEST-* lines
# on the UART console. The kernel command line picks the case:
#   vmb.case=devices  every device: disks, read-only refusal, hwrng, hvc0, ping; then a file
#                     written on /dev/vda, the disk unmounted, poweroff
#   vmb.case=kill     a file written on /dev/vda and synced, then wait to be killed (SIGKILL)
#   vmb.marker=TEXT   what the files hold
/bin/busybox --install -s /bin
mount -t devtmpfs dev /dev 2>/dev/null
exec 0</dev/console 1>/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
echo "VMB-GUEST-BOOTED"
for module in virtio_ring virtio virtio_mmio virtio_blk failover net_failover virtio_net \
        virtio_console virtio-rng; do
    insmod "/modules/$module.ko" || echo "VMB-GUEST-INSMOD-FAILED=$module"
done
# Probing is asynchronous: wait for the disks.
for _ in $(seq 50); do
    [ -b /dev/vda ] && [ -b /dev/vdb ] && break
    sleep 0.2
done

case_name=$(sed -n 's/.*vmb\.case=\([a-z]*\).*/\1/p' /proc/cmdline)
marker=$(sed -n 's/.*vmb\.marker=\([A-Za-z0-9-]*\).*/\1/p' /proc/cmdline)
echo "VMB-GUEST-ACPI-LNRO0005=$(ls -d /sys/bus/acpi/devices/LNRO0005:* 2>/dev/null | wc -l)"
ids=
for device in /sys/bus/virtio/devices/*; do
    [ -e "$device/device" ] && ids="$ids $(cat "$device/device")"
done
echo "VMB-GUEST-VIRTIO-IDS=$(echo $ids | tr ' ' '\n' | sort | tr '\n' ' ')"

# The writable disk and the read-only one, told apart by the read-only flag the device offers.
rw="" ro=""
for disk in vda vdb; do
    if [ "$(cat /sys/block/$disk/ro 2>/dev/null)" = 1 ]; then ro=$disk; else rw=$disk; fi
done
echo "VMB-GUEST-DISKS=rw:$rw ro:$ro"

case $case_name in
devices)
    echo "VMB-GUEST-HWRNG-CURRENT=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)"
    echo "VMB-GUEST-HWRNG-BYTES=$(head -c 64 /dev/hwrng | wc -c)"
    # A login shell on hvc0: its output goes to the virtio console's file on the host.
    setsid sh -l -c 'echo "VMB-HVC0-LOGIN-SHELL uid=$(id -u) tty=$(tty)"' \
        </dev/hvc0 >/dev/hvc0 2>&1
    ip link set lo up
    ip link set eth0 up
    ip addr add 10.0.2.15/24 dev eth0
    if ping -c 3 -W 3 10.0.2.1 >/tmp/ping 2>&1; then
        echo "VMB-GUEST-PING=ok"
    else
        echo "VMB-GUEST-PING=failed"
        cat /tmp/ping
    fi
    mkdir -p /ro /mnt
    mount -o ro "/dev/$ro" /ro && echo "VMB-GUEST-RO-READ=$(cat /ro/readme)"
    umount /ro
    # The device offers VIRTIO_BLK_F_RO: the kernel marks the disk read-only and refuses
    # writes itself (a write reaching the device would fail with VIRTIO_BLK_S_IOERR).
    dd if=/dev/zero of="/dev/$ro" bs=4096 count=1 oflag=direct 2>/tmp/dd1 &&
        echo "VMB-GUEST-RO-WRITE=accepted" ||
        echo "VMB-GUEST-RO-WRITE=refused: $(head -n 1 /tmp/dd1)"
    mount -o rw "/dev/$ro" /ro 2>/dev/null && touch /ro/new 2>/tmp/touch ||
        echo "VMB-GUEST-RO-CREATE=refused: $(head -n 1 /tmp/touch 2>/dev/null)"
    umount /ro 2>/dev/null
    mount "/dev/$rw" /mnt && echo "$marker" > /mnt/poweroff.txt && umount /mnt &&
        echo "VMB-GUEST-UNMOUNTED"
    poweroff -f
    ;;
kill)
    mkdir -p /mnt
    mount "/dev/$rw" /mnt && echo "$marker" > /mnt/killed.txt && sync && echo "VMB-GUEST-SYNCED"
    sleep 600
    ;;
esac
echo "VMB-GUEST-UNKNOWN-CASE=$case_name"
poweroff -f
