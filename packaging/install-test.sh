#!/usr/bin/env bash
# packaging/install-test.sh BUILD_DIR: `cmake --install` checked the way an admin meets it.
#  1. DESTDIR + --prefix /usr (what the .deb holds): exactly the expected files, modes,
#     units pointing at /usr/bin and /etc/urlmon/urlmon.env, the env file listing every
#     variable of --help with its default, man pages from --help.
#  2. A second install over an edited /etc/urlmon/urlmon.env keeps the edit.
#  3. --prefix DIR (no DESTDIR): units point into DIR; packaging/check-units.sh verifies
#     them against the installed programs (systemd-analyze verify + security).
set -euo pipefail
BUILD=$(realpath "${1:?usage: install-test.sh BUILD_DIR}")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
check() {
    local what=$1
    shift
    if "$@" >"$T/check.log" 2>&1; then
        pass=$((pass + 1))
        echo "ok: $what"
    else
        fail=$((fail + 1))
        echo "FAIL: $what"
        sed 's/^/    /' "$T/check.log"
    fi
}

D="$T/destdir"
DESTDIR="$D" cmake --install "$BUILD" --prefix /usr >"$T/install.log"

want_tree() {
    local want got
    want=$(printf '%s\n' \
        'f 640 /etc/urlmon/urlmon.env' \
        'f 644 /usr/lib/systemd/system/urlmon-api.service' \
        'f 644 /usr/lib/systemd/system/urlmon-compute-batch.service' \
        'f 644 /usr/lib/systemd/system/urlmon-compute.service' \
        'f 644 /usr/lib/systemd/system/urlmon-compute.timer' \
        'f 644 /usr/share/man/man1/urlmon-api.1' \
        'f 644 /usr/share/man/man1/urlmon-compute.1' \
        'f 644 /usr/share/man/man1/urlmon.1' \
        'f 644 /usr/share/urlmon/urlmon.env.example' \
        'f 755 /usr/bin/urlmon-api' \
        'f 755 /usr/bin/urlmon-compute' \
        'f 755 /usr/bin/urlmon' | sort)
    got=$(cd "$D" && find . -type f -printf '%y %m /%P\n' | sort)
    diff <(echo "$want") <(echo "$got")
}
check "DESTDIR tree is exactly the expected files and modes" want_tree

# Every variable --help lists, with its default, is in the example, uncommented nowhere.
env_complete() {
    local help ex name def n=0
    help=$("$D/usr/bin/urlmon-api" --help)
    ex="$D/usr/share/urlmon/urlmon.env.example"
    while read -r name def; do
        grep -qxF "#$name=$def" "$ex" || {
            echo "missing or wrong in the example: $name=$def"
            return 1
        }
        n=$((n + 1))
    done < <(sed -nE 's/^  ([A-Z_]+) +default "([^"]*)".*/\1 \2/p' <<<"$help")
    [ "$n" -ge 30 ] || {
        echo "only $n variables parsed from --help"
        return 1
    }
    [ "$(grep -cE '^#[A-Z_]+=' "$ex")" -eq "$n" ] || {
        echo "the example has other variables than --help"
        return 1
    }
    ! grep -qE '^[A-Z_]+=' "$ex" || {
        echo "a variable is set, not commented out"
        return 1
    }
    cmp "$ex" "$D/etc/urlmon/urlmon.env"
}
check "urlmon.env(.example): every --help variable at its default, commented out" env_complete
check "env example is the configdoc output" cmp "$D/usr/share/urlmon/urlmon.env.example" \
    <("$BUILD/packaging/urlmon-configdoc" env)

units_paths() {
    local u="$D/usr/lib/systemd/system"
    grep -qx 'ExecStart=/usr/bin/urlmon-api' "$u/urlmon-api.service" &&
        grep -qx 'ExecStart=/usr/bin/urlmon-compute --service' "$u/urlmon-compute.service" &&
        grep -qx 'ExecStartPre=/usr/bin/urlmon-compute migrate' "$u/urlmon-compute.service" &&
        grep -qx 'ExecStartPre=/usr/bin/urlmon-compute migrate' "$u/urlmon-compute-batch.service" &&
        grep -qx 'ExecStart=/usr/bin/urlmon-compute' "$u/urlmon-compute-batch.service" &&
        [ "$(grep -lx 'EnvironmentFile=/etc/urlmon/urlmon.env' "$u"/*.service | wc -l)" -eq 3 ] &&
        [ "$(grep -lx 'User=urlmon' "$u"/*.service | wc -l)" -eq 3 ] &&
        ! grep -l '@URLMON_' "$u"/*
}
check "units: /usr/bin programs, /etc/urlmon/urlmon.env, User=urlmon, nothing unexpanded" units_paths

man_pages() {
    local m
    for m in urlmon-api urlmon-compute; do
        if ! grep -q '^\.TH "\?'"${m^^}" "$D/usr/share/man/man1/$m.1" ||
            ! grep -q 'LOG_FORMAT' "$D/usr/share/man/man1/$m.1"; then
            echo "$m.1 lacks its title or the variables"
            return 1
        fi
    done
    grep -q 'migrate' "$D/usr/share/man/man1/urlmon-compute.1" &&
        grep -q '^\.TH "\?URLMON"\? ' "$D/usr/share/man/man1/urlmon.1" &&
        grep -q 'URLMON_API' "$D/usr/share/man/man1/urlmon.1"
}
check "man pages: titled, carry the --help text" man_pages

echo 'DB_PASSWORD=edited-by-the-admin' >>"$D/etc/urlmon/urlmon.env"
DESTDIR="$D" cmake --install "$BUILD" --prefix /usr >"$T/install2.log"
check "reinstall keeps an edited urlmon.env" grep -qx 'DB_PASSWORD=edited-by-the-admin' \
    "$D/etc/urlmon/urlmon.env"

P="$T/prefix"
cmake --install "$BUILD" --prefix "$P" >"$T/install3.log"
check "--prefix DIR: units run DIR/bin programs, read DIR/etc/urlmon/urlmon.env" \
    grep -qx "ExecStart=$P/bin/urlmon-api" "$P/lib/systemd/system/urlmon-api.service"
check "--prefix DIR: env file under DIR/etc" test -f "$P/etc/urlmon/urlmon.env"
if command -v systemd-analyze >/dev/null 2>&1; then
    check "--prefix DIR: units verify against the installed programs; exposure OK" \
        bash "$HERE/check-units.sh" "$P"/lib/systemd/system/*
else
    check "systemd-analyze is installed" false
fi

echo "install-test: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
