#!/usr/bin/env bash
# Run the whole test suite: ./test.sh
#
# Installs the Debian packages the interop tests drive (real SOCKS clients), runs
# `dotnet test` over the solution, and closes with one plain line
# "N passed, N failed[, N skipped]" whatever happened, exiting non-zero on any failure.
set -uo pipefail

cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DEBIAN_FRONTEND=noninteractive

# Debian package -> a file it ships that proves it is installed.
declare -A needs=(
  [curl]=/usr/bin/curl
  [ncat]=/usr/bin/ncat
  [python3-socks]=/usr/lib/python3/dist-packages/socks.py
  [util-linux]=/usr/bin/unshare
  [mount]=/bin/mount
  [iproute2]=/sbin/ip
  [oidentd]=/usr/sbin/oidentd
  [dante-server]=/usr/sbin/danted
  [microsocks]=/usr/bin/microsocks
  [dnsmasq-base]=/usr/sbin/dnsmasq
  [nodejs]=/usr/bin/node
  [npm]=/usr/bin/npm
  [python3-pyftpdlib]=/usr/lib/python3/dist-packages/pyftpdlib
  [dante-client]=/usr/bin/socksify
  [ftp]=/usr/bin/ftp
  [openssh-server]=/usr/sbin/sshd
  [openssh-client]=/usr/bin/ssh
  [bind9-dnsutils]=/usr/bin/dig
  [tor]=/usr/bin/tor-resolve
  # The fleet test: Debian's HAProxy in front of two nodes, in network namespaces the test makes.
  [haproxy]=/usr/sbin/haproxy
  # GSSAPI (RFC 1961): a throwaway MIT realm on loopback, and an independent Python client.
  [krb5-kdc]=/usr/sbin/krb5kdc
  [krb5-admin-server]=/usr/sbin/kadmin.local
  [krb5-user]=/usr/bin/kinit
  [python3-gssapi]=/usr/lib/python3/dist-packages/gssapi
  # PAM: the system's own stack, and the tools the tests use to make a throwaway account.
  [libpam-modules]=/usr/lib/x86_64-linux-gnu/security/pam_unix.so
  [passwd]=/usr/sbin/useradd
  # windsock run's preload library (native/preload) is built by the normal build with make and gcc;
  # libc6-dev also has the static libc the refusal test links a static program with.
  [gcc]=/usr/bin/gcc
  [make]=/usr/bin/make
  [libc6-dev]=/usr/lib/x86_64-linux-gnu/libc.a
  # windsock run's syscall engine is tested with a Go program the tests build and busybox's static tools.
  [golang-go]=/usr/bin/go
  [busybox-static]=/bin/busybox
  # The ping test checks that Wireshark's SOCKS dissector decodes a captured windsock ping session.
  [tshark]=/usr/bin/tshark
  # The peers windsock run is compared with in docs/client-tools.md (socksify comes with dante-client).
  [proxychains4]=/usr/bin/proxychains4
  # The admin listener's tests: a real Prometheus scrapes it, headless Chromium renders the status page.
  [prometheus]=/usr/bin/prometheus
  [chromium]=/usr/bin/chromium
  # SystemdUnitTests boots Debian's systemd as PID 1 of a container the test makes (systemd-nspawn).
  [systemd-container]=/usr/bin/systemd-nspawn
  # The Debian package (packaging/deb/build, DebianPackageTests): NativeAOT needs clang and zlib's headers,
  # the man pages pandoc, the Depends line dpkg-shlibdeps; the test runs lintian, systemd-analyze and man.
  [clang]=/usr/bin/clang
  [zlib1g-dev]=/usr/include/zlib.h
  [pandoc]=/usr/bin/pandoc
  [dpkg-dev]=/usr/bin/dpkg-shlibdeps
  [lintian]=/usr/bin/lintian
  [systemd]=/usr/bin/systemd-analyze
  [man-db]=/usr/bin/man
  [adduser]=/usr/sbin/adduser
)
missing=()
for pkg in "${!needs[@]}"; do
  [[ -e "${needs[$pkg]}" ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "test.sh: installing ${missing[*]}"
  sudo=()
  ((EUID == 0)) || sudo=(sudo -n)
  # Several of these packages ship daemons (tor, dnsmasq, sshd, danted, oidentd). The tests run their
  # own instances on loopback; none may start as a system service, least of all tor, which would
  # reach out to the Internet. policy-rc.d exit 101 is Debian's way to say "start nothing".
  made_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null && "${sudo[@]}" chmod +x /usr/sbin/policy-rc.d && made_policy=1
  fi
  if ! { "${sudo[@]}" apt-get update -q && "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; } </dev/null; then
    echo "test.sh: could not install ${missing[*]}; the interop tests that need them will fail" >&2
  fi
  ((made_policy)) && "${sudo[@]}" rm -f /usr/sbin/policy-rc.d
  # Where systemd runs, also keep tor from starting at the next boot: the tests only use tor-resolve.
  # The same for the Kerberos KDC and kadmind (the tests run their own KDC on a free loopback port) and
  # Prometheus (the tests run their own on a free loopback port).
  if command -v systemctl >/dev/null 2>&1; then
    for unit in tor krb5-kdc krb5-admin-server prometheus; do
      [[ -e /lib/systemd/system/$unit.service ]] && "${sudo[@]}" systemctl disable --now "$unit" >/dev/null 2>&1
    done
  fi
fi

# Node packages the interop tests drive (the 'socks' client for BIND and for UDP ASSOCIATE),
# pinned by package-lock.json. Installed only when missing, so a run without the npm registry
# still works once they are there.
for node_dir in tests/Windsock.Interop.Tests/node tests/Windsock.Interop.Tests/node-udp; do
  if [[ ! -d "$node_dir/node_modules" && -x /usr/bin/npm ]]; then
    echo "test.sh: installing node packages in $node_dir"
    if ! (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error) </dev/null; then
      echo "test.sh: npm ci failed in $node_dir; the node interop tests will fail" >&2
    fi
  fi
done

# A test project that has no tests yet (exit code 8, "zero tests ran") is not a failure;
# the closing line still shows what ran.
export TESTINGPLATFORM_EXITCODE_IGNORE=8

log=$(mktemp)
trap 'rm -f "$log"' EXIT

dotnet test --solution Windsock.slnx -c Release </dev/null 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

# The MTP runner prints, per run and once more for the whole solution:
#   Test run summary: Passed! ...
#     total: 12
#     failed: 0
#     succeeded: 12
#     skipped: 0
# The last block is the solution total. Sum nothing: take the last value of each.
last() { grep -E "^[[:space:]]*$1:[[:space:]]*[0-9]+[[:space:]]*$" "$log" | tail -n1 | grep -oE '[0-9]+' || true; }
total=$(last total)
failed=$(last failed)
passed=$(last succeeded)
skipped=$(last skipped)

if [[ -z "$total" ]]; then
  # No summary at all: the build (or the runner) failed before any test ran.
  passed=0 failed=1 skipped=0
  ((rc != 0)) || rc=1
fi
passed=${passed:-0} failed=${failed:-0} skipped=${skipped:-0}
if ((rc == 0 && failed > 0)); then rc=1; fi
if ((rc != 0 && failed == 0)); then failed=1; fi

if ((skipped > 0)); then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
exit "$rc"
