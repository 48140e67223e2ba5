#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of the inner guest in tests/linux-x86.sh: report what the guest sees, then end the
# machine the way the kernel command line's vmb.action= asks (poweroff, reboot or crash).
/bin/busybox --install -s /bin
mount -t devtmpfs dev /dev 2>/dev/null
exec 0</dev/console 1>/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
echo "VMB-GUEST-BOOTED"
echo "VMB-GUEST-NPROC=$(nproc)"
# The UART as Linux found it through ACPI (PNP0501) and as the serial driver runs it.
acpi_uart=no
for device in /sys/bus/acpi/devices/PNP0501*; do
    [ -e "$device" ] && acpi_uart=yes
done
echo "VMB-GUEST-ACPI-UART=$acpi_uart"
echo "VMB-GUEST-SERIAL=$(grep -m1 '^0: ' /proc/tty/driver/serial)"
action=$(sed -n 's/.*vmb\.action=\([a-z]*\).*/\1/p' /proc/cmdline)
echo "VMB-GUEST-ACTION=$action"
case $action in
reboot) reboot -f ;;
crash) exit 1 ;; # init exiting panics the kernel
*) poweroff -f ;;
esac
sleep 30
echo "VMB-GUEST-STILL-RUNNING"
