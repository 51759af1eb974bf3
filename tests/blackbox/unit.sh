#!/bin/sh
# The systemd unit as installed (packaging/vmreclaimd.service.in with the
# binary's path filled in): systemd parses it without a complaint, its
# hardening is what docs/security.md says, and systemd's own exposure score
# stays "OK" (below 2.0).  Offline: nothing is started.
# Prints "ok - ..." / "not ok - ..." and "# ..." figures.
set -u
cd "$(dirname "$0")/../.."
. tests/tap.sh

T=$(mktemp -d /tmp/vmreclaim-unit-XXXXXX)
trap 'rm -rf "$T"' EXIT
U=$T/vmreclaimd.service
sed "s|@SBINDIR@|$(pwd)/build|g" packaging/vmreclaimd.service.in >"$U"

if ! command -v systemd-analyze >/dev/null; then
	nok "systemd-analyze is installed (package systemd)"
	exit 1
fi
# The man pages are not installed here: their check is left out.
if systemd-analyze verify --man=no "$U" >"$T/verify" 2>&1 && [ ! -s "$T/verify" ]; then
	ok "systemd-analyze verify finds nothing wrong with the unit"
else
	nok "systemd-analyze verify finds nothing wrong with the unit"
	sed 's/^/#   /' "$T/verify"
fi

# What the daemon needs and nothing more (docs/security.md).
key() { grep -q "^$1\$" "$U"; }
check "the file system is read-only but for the knobs it writes" key "ProtectSystem=strict"
for p in /proc/sys/vm/compact_memory /proc/sys/vm/drop_caches /proc/sys/vm/percpu_pagelist_high_fraction \
	/proc/sys/vm/stat_refresh /sys/fs/cgroup/memory.reclaim \
	/sys/module/page_reporting/parameters/page_reporting_order; do
	check "writable: $p" key "ReadWritePaths=-$p"
done
check "one capability at most (CAP_SYS_RESOURCE)" key "CapabilityBoundingSet=CAP_SYS_RESOURCE"
check "memory of its own kept from reclaim (MemoryMin)" grep -q "^MemoryMin=[1-9]" "$U"
check "last to be killed by the OOM killer (negative OOMScoreAdjust)" grep -q "^OOMScoreAdjust=-[1-9]" "$U"
check "no network but Unix sockets" key "RestrictAddressFamilies=AF_UNIX"

systemd-analyze security --offline=true --no-pager "$U" >"$T/security" 2>&1
score=$(sed -n 's/.*Overall exposure level for vmreclaimd.service: \([0-9.]*\).*/\1/p' "$T/security")
echo "# systemd-analyze security: exposure ${score:-?} (0 = locked down, 10 = unprotected)"
if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s < 2.0) }'; then
	ok "exposure score below 2.0 ($score)"
else
	nok "exposure score below 2.0 (${score:-none})"
	tail -n 5 "$T/security" | sed 's/^/#   /'
fi
