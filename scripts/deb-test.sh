#!/usr/bin/env bash
# scripts/deb-test.sh: builds urlmon's .deb in two versions and installs, upgrades and
# purges it in a bare Debian 12 root (debootstrap, default variant), as root.
#
#   bash scripts/deb-test.sh [BUILD_DIR]     # default build-deb
#   bash scripts/deb-test.sh --prepare-only [BUILD_DIR]
#
# The first run needs the network: debootstrap fetches Debian 12 from deb.debian.org
# and apt fetches the package's dependencies. Both are cached under BUILD_DIR/deb-root
# (the base root as a tarball, the dependency .debs as an apt archive), so later runs
# are offline and quick. That is why this is not part of scripts/test.sh, which runs
# offline: run it after changing the packaging (CI runs it in its own job).
#
# Checks, each a FAIL line and exit status 1 when it does not hold:
#   install: Depends resolves; binaries find every library; `urlmon` system user;
#            /etc/urlmon/urlmon.env is a conffile, root:urlmon 0640; /var/lib/urlmon
#            owned by urlmon; units installed; --help and man pages present.
#   upgrade: an admin's edit of /etc/urlmon/urlmon.env survives; version moves on.
#   remove:  binaries gone, conffile and user kept. purge: conffile, /etc/urlmon,
#            /var/lib/urlmon and the user gone; dpkg knows nothing of urlmon.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prepare_only=0
if [ "${1:-}" = "--prepare-only" ]; then
    prepare_only=1
    shift
fi
BUILD=$(realpath -m "${1:-$ROOT/build-deb}")
MIRROR=${URLMON_DEB_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
CACHE="$BUILD/deb-root"
BASE_TAR="$CACHE/$SUITE-base.tar.gz"
ARCHIVES="$CACHE/archives"
OLD_VERSION=0.0.1

if [ "$(id -u)" -ne 0 ]; then
    echo "deb-test: needs root (debootstrap, chroot)" >&2
    exit 2
fi

mkdir -p "$CACHE" "$ARCHIVES"
WORK=$(mktemp -d "$CACHE/run.XXXXXX")
CH="$WORK/root"
mounted=()
cleanup() {
    local m
    for m in "${mounted[@]}"; do
        umount -l "$m" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

# The base root: Debian 12 as debootstrap installs it (required + important:
# systemd, passwd, apt), with apt's lists, packed once.
prepare_base() {
    local tmp="$CACHE/base.tmp"
    [ -s "$BASE_TAR" ] && return 0
    echo "deb-test: debootstrap $SUITE from $MIRROR (once; cached in $BASE_TAR)"
    rm -rf "$tmp"
    debootstrap --arch=amd64 "$SUITE" "$tmp" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 || {
        tail -20 "$CACHE/debootstrap.log" >&2
        return 1
    }
    printf 'deb %s %s main\n' "$MIRROR" "$SUITE" >"$tmp/etc/apt/sources.list"
    chroot "$tmp" apt-get update -qq
    chroot "$tmp" apt-get clean
    tar -C "$tmp" -czf "$BASE_TAR.part" . && mv "$BASE_TAR.part" "$BASE_TAR"
    rm -rf "$tmp"
}

prepare_base
if [ "$prepare_only" = 1 ]; then
    echo "deb-test: base root ready: $BASE_TAR"
    exit 0
fi

# --- the two packages: the current version, and the same tree labelled OLD_VERSION ---
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DURLMON_WERROR=ON \
        -DURLMON_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
fi
cmake --build "$BUILD" -j2 >/dev/null
rm -f "$BUILD"/urlmon_*.deb
(cd "$BUILD" && cpack -G DEB >/dev/null && cpack -G DEB -D CPACK_PACKAGE_VERSION="$OLD_VERSION" >/dev/null)
NEW_VERSION=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$BUILD/CMakeCache.txt")
NEW_DEB="$BUILD/urlmon_${NEW_VERSION}_amd64.deb"
OLD_DEB="$BUILD/urlmon_${OLD_VERSION}_amd64.deb"
ls "$NEW_DEB" "$OLD_DEB" >/dev/null
echo "deb-test: built $(basename "$OLD_DEB") and $(basename "$NEW_DEB")"
echo "deb-test: Depends: $(dpkg-deb -f "$NEW_DEB" Depends)"

# --- a fresh copy of the bare root ---
mkdir -p "$CH"
tar -C "$CH" -xzf "$BASE_TAR"
mount -t proc proc "$CH/proc" && mounted+=("$CH/proc")
printf '#!/bin/sh\nexit 101\n' >"$CH/usr/sbin/policy-rc.d"
chmod +x "$CH/usr/sbin/policy-rc.d"
cp "$NEW_DEB" "$OLD_DEB" "$CH/tmp/"
cp "$ARCHIVES"/*.deb "$CH/var/cache/apt/archives/" 2>/dev/null || true

in_root() { chroot "$CH" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }
apt_install() {
    in_root apt-get install -y -q --no-install-recommends "$@" >"$WORK/apt.log" 2>&1 || {
        cat "$WORK/apt.log"
        return 1
    }
    cp "$CH"/var/cache/apt/archives/*.deb "$ARCHIVES/" 2>/dev/null || true
}

passed=0
failed=0
check() {
    local what="$1"
    shift
    if "$@" >"$WORK/check.log" 2>&1; then
        echo "PASS  $what"
        passed=$((passed + 1))
    else
        echo "FAIL  $what"
        sed 's/^/      /' "$WORK/check.log"
        failed=$((failed + 1))
    fi
}
stat_is() { # FILE "owner:group mode"
    local got
    got=$(in_root stat -c '%U:%G %a' "$1")
    [ "$got" = "$2" ] || {
        echo "$1 is $got, want $2"
        return 1
    }
}
no_missing_libs() {
    local b out
    for b in /usr/bin/urlmon-api /usr/bin/urlmon-compute; do
        out=$(in_root ldd "$b")
        if grep -q 'not found' <<<"$out"; then
            echo "$b: $out"
            return 1
        fi
    done
}
runs_help() {
    in_root /usr/bin/urlmon-api --help | grep -q '^  LOG_FORMAT' &&
        in_root /usr/bin/urlmon-compute --version | grep -qx "urlmon-compute $NEW_VERSION"
}
system_user() {
    local ent uid shell
    ent=$(in_root getent passwd urlmon) || {
        echo "no user urlmon"
        return 1
    }
    uid=$(cut -d: -f3 <<<"$ent")
    shell=$(cut -d: -f7 <<<"$ent")
    if [ "$uid" -ge 1000 ] || [ "$shell" != /usr/sbin/nologin ]; then
        echo "not a system user: $ent"
        return 1
    fi
}
is_conffile() { in_root dpkg-query -W -f="\${Conffiles}\n" urlmon | grep -q '^ /etc/urlmon/urlmon.env '; }
units_verify() {
    local u
    for u in urlmon-api.service urlmon-compute.service urlmon-compute-batch.service \
        urlmon-compute.timer; do
        in_root test -f "/usr/lib/systemd/system/$u" || {
            echo "$u missing"
            return 1
        }
    done
    # systemd of the root itself, against the installed programs; any warning fails
    local out
    out=$(in_root sh -c 'systemd-analyze verify --man=no /usr/lib/systemd/system/urlmon-*' 2>&1) || {
        echo "$out"
        return 1
    }
    [ -z "$out" ] || {
        echo "$out"
        return 1
    }
}
man_pages() { in_root test -s /usr/share/man/man1/urlmon-api.1 && in_root test -s /usr/share/man/man1/urlmon-compute.1; }
version_is() { [ "$(in_root dpkg-query -W -f="\${Version} \${Status}" urlmon)" = "$1 install ok installed" ]; }
env_refused_as_urlmon() {
    # the service user reads the file; the program refuses a bad value naming it (exit 2)
    local rc=0 out
    out=$(in_root setpriv --reuid=urlmon --regid=urlmon --clear-groups --inh-caps=-all \
        sh -c 'set -a; . /etc/urlmon/urlmon.env; DB_PORT=0 exec /usr/bin/urlmon-compute' 2>&1) || rc=$?
    if [ "$rc" -ne 2 ] || ! grep -q DB_PORT <<<"$out"; then
        echo "exit $rc: $out"
        return 1
    fi
}

# --- clean install of the old version (apt resolves Depends) ---
echo "deb-test: installing $OLD_VERSION"
check "install $OLD_VERSION with apt (Depends resolve in a bare Debian 12)" apt_install "/tmp/$(basename "$OLD_DEB")"
check "dpkg status: $OLD_VERSION installed" version_is "$OLD_VERSION"
check "every library the programs need is present (ldd)" no_missing_libs
check "programs run: --help lists LOG_FORMAT, --version" runs_help
check "system user urlmon (uid < 1000, nologin)" system_user
check "/etc/urlmon/urlmon.env is a conffile" is_conffile
check "/etc/urlmon/urlmon.env root:urlmon 0640" stat_is /etc/urlmon/urlmon.env "root:urlmon 640"
check "/var/lib/urlmon urlmon:urlmon 0750" stat_is /var/lib/urlmon "urlmon:urlmon 750"
check "/var/lib/urlmon/spool urlmon:urlmon 0750" stat_is /var/lib/urlmon/spool "urlmon:urlmon 750"
check "units installed; the root's systemd-analyze verify is silent" units_verify
check "man pages installed" man_pages
check "urlmon can read the env file; a bad value is refused by name" env_refused_as_urlmon

# --- the admin enables the units and edits the configuration; upgrade keeps both ---
enabled() {
    in_root systemctl is-enabled urlmon-api.service | grep -qx enabled &&
        in_root systemctl is-enabled urlmon-compute.timer | grep -qx enabled
}
check "systemctl enable urlmon-api.service urlmon-compute.timer" \
    in_root systemctl enable urlmon-api.service urlmon-compute.timer
check "units enabled" enabled
echo 'DB_PASSWORD=admin-set-secret' >>"$CH/etc/urlmon/urlmon.env"
echo "deb-test: upgrading to $NEW_VERSION"
check "upgrade $OLD_VERSION -> $NEW_VERSION" apt_install "/tmp/$(basename "$NEW_DEB")"
check "dpkg status: $NEW_VERSION installed" version_is "$NEW_VERSION"
check "the admin's edit of urlmon.env survived the upgrade" grep -qx 'DB_PASSWORD=admin-set-secret' "$CH/etc/urlmon/urlmon.env"
check "urlmon.env still root:urlmon 0640" stat_is /etc/urlmon/urlmon.env "root:urlmon 640"
check "user urlmon kept" system_user
check "programs run after the upgrade" runs_help
check "units still enabled after the upgrade" enabled

# --- remove, then purge ---
echo "deb-test: removing"
check "apt-get remove" in_root apt-get remove -y -q urlmon
check "programs gone after remove" sh -c "! test -e '$CH/usr/bin/urlmon-api' && ! test -e '$CH/usr/lib/systemd/system/urlmon-api.service'"
check "conffile kept after remove (state config-files)" sh -c "grep -qx 'DB_PASSWORD=admin-set-secret' '$CH/etc/urlmon/urlmon.env' && [ \"\$(chroot '$CH' dpkg-query -W -f='\${Status}' urlmon)\" = 'deinstall ok config-files' ]"
echo "deb-test: purging"
check "dpkg --purge" in_root dpkg --purge urlmon
check "purge: /etc/urlmon and /var/lib/urlmon gone" sh -c "! test -e '$CH/etc/urlmon' && ! test -e '$CH/var/lib/urlmon'"
check "purge: user and group urlmon gone" sh -c "! chroot '$CH' getent passwd urlmon && ! chroot '$CH' getent group urlmon"
check "purge: dpkg knows nothing of urlmon" sh -c "! chroot '$CH' dpkg-query -W urlmon"
check "purge: no urlmon file left anywhere" sh -c "[ -z \"\$(find '$CH' -xdev -name 'urlmon*' -not -path '$CH/tmp/*' -print -quit)\" ]"

echo "deb test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
