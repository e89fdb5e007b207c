#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds a KeyCustody appliance root file system with mmdebstrap (Debian bookworm) and, for the VM, a bootable
# raw ext4 disk with the kernel and initrd next to it (qemu boots them directly; no boot loader).
#
#   image/build-image.sh vm  OUT DEB    x86-64 VM image: OUT/rootfs.img, OUT/vmlinuz, OUT/initrd.img
#   image/build-image.sh rpi OUT DEB    Raspberry Pi 4/5-class arm64 root file system: OUT/rootfs.tar
#                                       (needs qemu-user-static + binfmt on an x86 host; see image/README.md)
#
# Both: the packages below, our .deb, the .NET runtime copied from the build machine's install
# (framework-dependent, so only host/ and the two shared frameworks), the rootfs/ overlay, and the first-boot
# provisioning unit. The VM variant adds the vm/ overlay (SoftHSM2 instead of the YubiHSM, the uinput button).
set -euo pipefail

TARGET=${1:?usage: build-image.sh vm|rpi OUT DEB}
OUT=${2:?output directory}
DEB=${3:?the keycustody .deb}
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SUITE=bookworm
DOTNET_ROOT_HOST=${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}

COMMON=systemd,systemd-sysv,udev,dbus,kmod,iproute2,systemd-timesyncd,ca-certificates,openssl,acl,adduser
COMMON+=,libtss2-fapi1,libtss2-rc0,libtss2-tcti-device0,tpm-udev,tpm2-tools,libicu72,libssl3,zlib1g
case "$TARGET" in
  vm)  ARCH=amd64; PACKAGES="$COMMON,linux-image-amd64,initramfs-tools,softhsm2,opensc" ;;
  rpi) ARCH=arm64; PACKAGES="$COMMON,linux-image-arm64,raspi-firmware,firmware-brcm80211,initramfs-tools" ;;
  *) echo "build-image.sh: unknown target '$TARGET' (vm or rpi)" >&2; exit 2 ;;
esac

runtime_version() { ls "$DOTNET_ROOT_HOST/shared/$1" | grep '^10\.' | sort -V | tail -1; }
NETCORE=$(runtime_version Microsoft.NETCore.App)
ASPNET=$(runtime_version Microsoft.AspNetCore.App)
[ -n "$NETCORE" ] && [ -n "$ASPNET" ] || { echo "build-image.sh: no .NET 10 runtime under $DOTNET_ROOT_HOST" >&2; exit 1; }
if [ "$ARCH" != amd64 ] && [ "$(file -b "$DOTNET_ROOT_HOST/dotnet" | grep -c aarch64)" = 0 ]; then
  # The runtime is native code: an arm64 image needs the linux-arm64 runtime archive, not this machine's.
  DOTNET_ROOT_HOST=${DOTNET_ARM64_ROOT:?set DOTNET_ARM64_ROOT to an unpacked linux-arm64 ASP.NET Core 10 runtime}
fi

mkdir -p "$OUT"
ROOTFS="$OUT/rootfs"
rm -rf "$ROOTFS"
# Files built here for the image (the VM's uinput button helper), synced in after the overlays.
BUILT="$OUT/built"
rm -rf "$BUILT"; mkdir -p "$BUILT/usr/libexec/keycustody"
UNITS="keycustody-firstboot.service systemd-networkd.service"
VM_HOOKS=()
if [ "$TARGET" = vm ]; then
  VM_HOOKS=(--customize-hook="sync-in $HERE/vm/rootfs /")
  gcc -static -O2 -Wall -Wextra -Werror -o "$BUILT/usr/libexec/keycustody/vm-button" "$HERE/vm/uinput-button.c"
  UNITS+=" keycustody-vm-button.service"
fi
# The host's apt configuration (mirror, proxy) applies to the image build too.
APTOPTS=()
for f in /etc/apt/apt.conf.d/*; do [ -f "$f" ] && APTOPTS+=(--aptopt="$f"); done

mmdebstrap --variant=minbase --architectures="$ARCH" --include="$PACKAGES" \
  --components=main,non-free-firmware "${APTOPTS[@]}" \
  --customize-hook='mkdir -p "$1/usr/lib/dotnet/shared"' \
  --customize-hook="copy-in $DOTNET_ROOT_HOST/dotnet $DOTNET_ROOT_HOST/host /usr/lib/dotnet" \
  --customize-hook="copy-in $DOTNET_ROOT_HOST/shared/Microsoft.NETCore.App $DOTNET_ROOT_HOST/shared/Microsoft.AspNetCore.App /usr/lib/dotnet/shared" \
  --customize-hook='ln -sf ../lib/dotnet/dotnet "$1/usr/bin/dotnet"' \
  --customize-hook="upload $DEB /tmp/keycustody.deb" \
  --customize-hook='chroot "$1" apt-get install -y --no-install-recommends /tmp/keycustody.deb && rm "$1/tmp/keycustody.deb"' \
  --customize-hook="sync-in $HERE/rootfs /" \
  "${VM_HOOKS[@]}" \
  --customize-hook="sync-in $BUILT /" \
  --customize-hook="chroot \"\$1\" systemctl enable $UNITS" \
  --customize-hook='echo keycustody > "$1/etc/hostname"; rm -f "$1/etc/apt/apt.conf.d/99mmdebstrap"' \
  "$SUITE" "$ROOTFS"

# Keep only the runtime versions the appliance uses (the host may have several).
find "$ROOTFS/usr/lib/dotnet/shared/Microsoft.NETCore.App" -mindepth 1 -maxdepth 1 ! -name "$NETCORE" -exec rm -rf {} +
find "$ROOTFS/usr/lib/dotnet/shared/Microsoft.AspNetCore.App" -mindepth 1 -maxdepth 1 ! -name "$ASPNET" -exec rm -rf {} +

case "$TARGET" in
  vm)
    cp "$(readlink -f "$ROOTFS/vmlinuz")" "$OUT/vmlinuz"
    cp "$(readlink -f "$ROOTFS/initrd.img")" "$OUT/initrd.img"
    rm -f "$OUT/rootfs.img"
    mkfs.ext4 -q -L keycustody -d "$ROOTFS" "$OUT/rootfs.img" 3G
    rm -rf "$ROOTFS"
    echo "$OUT/rootfs.img"
    ;;
  rpi)
    tar -C "$ROOTFS" --numeric-owner -cf "$OUT/rootfs.tar" .
    rm -rf "$ROOTFS"
    echo "$OUT/rootfs.tar"
    ;;
esac
