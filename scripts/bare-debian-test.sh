#!/usr/bin/env bash
# The README's test command on a bare Debian 12, offline: debootstraps bookworm (minbase:
# no /etc/hosts, no compilers, no node) into a temporary root, copies this checkout in,
# runs scripts/install-deps.sh there with network, then scripts/test.sh in a network
# namespace with only loopback up. Exit status = the suite's. Needs root, debootstrap,
# unshare and ip (iproute2) on the host, and a Debian mirror.
#
#   sudo scripts/bare-debian-test.sh             # keeps nothing
#   URLMON_BARE_KEEP=1 sudo scripts/bare-debian-test.sh   # leaves the root for a look
#   URLMON_BARE_MIRROR=http://deb.debian.org/debian (default)
#
# A host behind a TLS-intercepting proxy: its extra CA certificates in
# /usr/local/share/ca-certificates are copied into the root before the install step.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MIRROR=${URLMON_BARE_MIRROR:-http://deb.debian.org/debian}

if [ "$(id -u)" -ne 0 ]; then
    echo "bare-debian-test: needs root (debootstrap, chroot, unshare)" >&2
    exit 2
fi
for cmd in debootstrap unshare ip git tar; do
    command -v "$cmd" >/dev/null 2>&1 || {
        echo "bare-debian-test: $cmd not found" >&2
        exit 2
    }
done

base=$(mktemp -d /var/tmp/urlmon-bare-XXXXXX)
root=$base/root
mounts=()
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    local i
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
    if [ "${URLMON_BARE_KEEP:-0}" = 1 ]; then
        echo "bare-debian-test: root kept in $root"
    else
        rm -rf "$base"
    fi
}
trap cleanup EXIT
mnt() { # mnt TYPE|--bind SRC DST
    mount "$@"
    mounts+=("${*: -1}")
}

echo "bare-debian-test: debootstrap bookworm (minbase) into $root"
debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$base/debootstrap.log" 2>&1 || {
    tail -20 "$base/debootstrap.log" >&2
    exit 1
}
# minbase has no /etc/hosts: that is part of what is being tested.
rm -f "$root/etc/hosts"
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    mkdir -p "$root/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"

echo "bare-debian-test: copying the checkout (tracked and untracked, not ignored) to /src"
mkdir -p "$root/src"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf -) | tar -C "$root/src" -xf -
git -C "$root/src" init -q # static checks list files with git, as in a clone

mnt -t proc proc "$root/proc"
mnt -t sysfs sys "$root/sys"
mnt --bind /dev "$root/dev"
mnt -t devpts devpts "$root/dev/pts" -o newinstance,ptmxmode=0666
mnt -t tmpfs tmpfs "$root/dev/shm"

in_root() {
    chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

echo "bare-debian-test: scripts/install-deps.sh (with network)"
in_root bash -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates >/dev/null &&
    update-ca-certificates >/dev/null && cd /src && bash scripts/install-deps.sh'

echo "bare-debian-test: scripts/test.sh without network (loopback only)"
rc=0
unshare --net bash -c "ip link set lo up && exec chroot '$root' /usr/bin/env -i HOME=/root \
    LANG=C.UTF-8 TERM=dumb PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c 'cd /src && bash scripts/test.sh'" || rc=$?
echo "bare-debian-test: scripts/test.sh exit status $rc"
exit "$rc"
