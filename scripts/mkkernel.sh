#!/bin/sh
# Build the minimal guest kernel: Debian's linux-source-6.1, configured as
# `make allnoconfig` plus kernel/vmreclaim.config (everything built in, no
# modules), into
#   build/kernel/bzImage           the kernel
#   build/kernel/kernel-version    its release string (6.1.x-vmreclaim)
#   build/kernel/linux-source-6.1/ the unpacked tree, kept for incremental builds
#   build/kernel/build.log         the last build's output
#   scripts/mkkernel.sh
# KSRC=FILE takes another linux-source tarball; JOBS=N (default 2) the
# parallelism.  A second run rebuilds only what changed (a no-op takes
# seconds); a changed fragment reconfigures.  Every option the fragment
# asks for must come out as asked, or the build stops with the line of the
# fragment that did not.
set -eu
cd "$(dirname "$0")/.."

KSRC=${KSRC:-/usr/src/linux-source-6.1.tar.xz}
FRAG=kernel/vmreclaim.config
OUT=build/kernel
JOBS=${JOBS:-2}

die() { echo "mkkernel: $*" >&2; exit 1; }

[ -r "$KSRC" ] || die "$KSRC missing (apt-get install linux-source-6.1)"
[ -r "$FRAG" ] || die "$FRAG missing"
for t in make gcc bc flex bison xz; do
	command -v "$t" >/dev/null 2>&1 ||
		die "$t not found (scripts/deps.sh installs the kernel build's tools)"
done
[ -r /usr/include/libelf.h ] || die "libelf.h not found (apt-get install libelf-dev)"

mkdir -p "$OUT"
# The tarball's top directory (linux-source-6.1), read from its first entry.
top=$(tar -tJf "$KSRC" 2>/dev/null | head -n 1 | cut -d/ -f1) || true
[ -n "$top" ] || die "$KSRC: not a readable tar.xz"
TREE=$OUT/$top
# Unpacked once; the stamp says which tarball it came from.
stamp="$KSRC $(stat -c %s.%Y "$KSRC")"
if [ ! -f "$TREE/.vmreclaim-unpacked" ] || [ "$(cat "$TREE/.vmreclaim-unpacked")" != "$stamp" ]; then
	rm -rf "$TREE"
	t0=$(date +%s)
	tar -xJf "$KSRC" -C "$OUT" || die "$KSRC: cannot unpack into $OUT"
	[ -f "$TREE/Makefile" ] || die "$KSRC: no kernel tree in it ($TREE/Makefile missing)"
	echo "$stamp" >"$TREE/.vmreclaim-unpacked"
	echo "mkkernel: unpacked $KSRC in $(( $(date +%s) - t0 )) s"
fi

# Configure when the fragment changed since the last configuration (its
# copy beside .config says which it was).
if ! cmp -s "$FRAG" "$TREE/.vmreclaim-fragment" || [ ! -f "$TREE/.config" ]; then
	# allnoconfig with KCONFIG_ALLCONFIG: every option off except those the
	# fragment sets, and what they select or default to.
	if ! make -C "$TREE" -s ARCH=x86_64 LOCALVERSION=-vmreclaim \
		KCONFIG_ALLCONFIG="$(pwd)/$FRAG" allnoconfig >"$OUT/config.log" 2>&1; then
		cat "$OUT/config.log" >&2
		die "allnoconfig with $FRAG failed (output above)"
	fi
	cp "$FRAG" "$TREE/.vmreclaim-fragment"
fi

# Every option of the fragment, as written: a dependency missing from the
# fragment makes Kconfig drop the option silently, so look.
bad=0
n=0
while IFS= read -r line; do
	n=$((n + 1))
	case $line in
	CONFIG_*=*) ;;
	*) continue ;;
	esac
	opt=${line%%=*}
	want=${line#*=}
	got=$(sed -n "s/^$opt=//p" "$TREE/.config")
	if [ -z "$got" ]; then
		grep -q "^# $opt is not set" "$TREE/.config" && got="not set" || got="absent"
	fi
	if [ "$got" != "$want" ]; then
		echo "mkkernel: $FRAG:$n: $opt=$want wanted, the configuration has $got (a dependency missing?)" >&2
		bad=1
	fi
done <"$FRAG"
if [ "$bad" = 1 ]; then
	# Configure again next time, after the fragment is fixed.
	rm -f "$TREE/.vmreclaim-fragment"
	exit 1
fi
grep -q '^CONFIG_MODULES=y' "$TREE/.config" && die "$TREE/.config: CONFIG_MODULES=y, the image loads no modules"

t0=$(date +%s)
if ! make -C "$TREE" ARCH=x86_64 LOCALVERSION=-vmreclaim -j"$JOBS" bzImage >"$OUT/build.log" 2>&1; then
	tail -n 20 "$OUT/build.log" >&2
	die "the kernel build failed (last lines above; all of it in $OUT/build.log)"
fi
secs=$(( $(date +%s) - t0 ))
rel=$(make -C "$TREE" -s ARCH=x86_64 LOCALVERSION=-vmreclaim kernelrelease)
img=$TREE/arch/x86/boot/bzImage
# Copied only when changed, so that make's timestamps mean something.
if ! cmp -s "$img" "$OUT/bzImage"; then
	cp "$img" "$OUT/bzImage.tmp" && mv "$OUT/bzImage.tmp" "$OUT/bzImage"
fi
if [ "$(cat "$OUT/kernel-version" 2>/dev/null)" != "$rel" ]; then
	echo "$rel" >"$OUT/kernel-version"
fi
echo "mkkernel: $OUT/bzImage ($(wc -c <"$OUT/bzImage") bytes), $rel, built in $secs s"
