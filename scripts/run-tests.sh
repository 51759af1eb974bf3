#!/bin/sh
# Run the tests.
#   scripts/run-tests.sh          every layer, one after another (make check):
#                                 the unit tests (plain and ASan+UBSan
#                                 builds), valgrind over the bounds test, a
#                                 short run of each fuzzer (FUZZ_SMOKE_SECONDS,
#                                 10 by default; `make fuzzers` builds them),
#                                 the black-box tests of the real binaries and
#                                 the end-to-end tests in real QEMU guests
#   scripts/run-tests.sh --fast   the hermetic layers only (make test): unit,
#                                 ASan+UBSan and black-box, every test a job
#                                 of its own, VR_TEST_JOBS (8) at a time; no
#                                 valgrind, no fuzzer, no VM (VR_TEST_NO_VM=1:
#                                 the cases that boot a real QEMU say "skip")
# Ends with "N passed, N failed" (", N skipped" when some were).
set -u
cd "$(dirname "$0")/.."

fast=0
case ${1:-} in
--fast) fast=1 ;;
"") ;;
--one) ;; # internal: one job of --fast (below)
*)
	echo "usage: scripts/run-tests.sh [--fast]" >&2
	exit 2
	;;
esac

started=$(date +%s)
passed=0
failed=0
skipped=0
failures=""
work=$(mktemp -d /tmp/vmreclaim-tests-XXXXXX)
log=$work/log
trap 'rm -rf "$work"' EXIT

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s), ...".
run_cmocka() {
	name=$1
	shift
	timeout --kill-after=10 300 "$@" >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s),.*/\1/p' "$log" | tail -n 1)
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test(s).*/\1/p' "$log" | tail -n 1)
	p=${p:-0}
	f=${f:-0}
	s=${s:-0}
	skipped=$((skipped + s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # crashed, or a sanitizer stopped it
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		failures="$failures $name"
		cat "$log"
	fi
	printf '%-28s %3d passed, %d failed' "$name" "$p" "$f"
	[ "$s" -ne 0 ] && printf ', %d skipped' "$s"
	printf '\n'
	[ "$s" -ne 0 ] && grep '^\[  SKIPPED \] test_' "$log" | sort -u | sed 's/^/    /'
	return 0
}

# Black-box scripts print "ok - ..." / "not ok - ..." lines.
run_tap() {
	name=$1
	shift
	# A hang fails the test instead of the whole run.
	t0=$(date +%s)
	timeout --kill-after=10 900 "$@" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - t0))
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	s=$(grep -c '^skip ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if [ "$f" -ne 0 ]; then
		failures="$failures $name"
		cat "$log"
	else
		grep '^# ' "$log" || true
	fi
	printf '%-28s %3d passed, %d failed' "$name" "$p" "$f"
	[ "$s" -ne 0 ] && printf ', %d skipped' "$s"
	printf '  (%d s)\n' "$secs"
	grep '^skip ' "$log" | sed 's/^/    /'
	return 0
}

# The result of one job of --fast: its output, then its counts on the
# last line, for the parent to add up.
summary() {
	echo "# counts $passed $failed $skipped"
}

# --one KIND PATH: run one test, as a job of --fast.
if [ "${1:-}" = --one ]; then
	case $2 in
	unit | asan) run_cmocka "$2/$(basename "$3")" "$3" ;;
	blackbox) run_tap "blackbox/$(basename "$3" .sh)" sh "$3" ;;
	esac
	summary
	exit 0
fi

if [ "$fast" -eq 1 ]; then
	export VR_TEST_NO_VM=1
	# What each layer needs built (make test builds it): said by name.
	missing=""
	for f in build/host/tests/test_util build/asan/tests/test_util build/vmreclaimd \
		build/vmreclaimctl build/vmreclaim build/host/blackbox/ptypeer \
		build/host/fake-qemu/qemu-system-x86_64 build/image/initrd.img; do
		[ -e "$f" ] || missing="$missing $f"
	done
	if [ -n "$missing" ]; then
		echo "run-tests: not built:$missing (make test builds them)" >&2
		exit 1
	fi
	# The tests that wait out timeouts go first, so that the run is as
	# long as the longest of them and not their sum.
	{
		for t in build/asan/tests/test_faults build/host/tests/test_faults \
			build/asan/tests/test_bounds build/host/tests/test_bounds; do
			[ -e "$t" ] && echo "${t#build/}"
		done
		for t in tests/blackbox/*.sh; do echo "blackbox $t"; done
		for t in build/asan/tests/test_* build/host/tests/test_*; do
			case $t in */test_faults | */test_bounds) ;; *) echo "${t#build/}" ;; esac
		done
	} | sed 's|^\(asan\)/tests/\(.*\)|asan build/asan/tests/\2|; s|^host/tests/\(.*\)|unit build/host/tests/\1|' >"$work/jobs"
	n=0
	while read -r kind path; do
		n=$((n + 1))
		echo "$n $kind $path"
	done <"$work/jobs" >"$work/numbered"
	# One job per line; each writes its own output file.
	# shellcheck disable=SC2016
	xargs -P "${VR_TEST_JOBS:-8}" -L 1 sh -c \
		'scripts/run-tests.sh --one "$2" "$3" >"$0/$1.out" 2>&1' "$work" <"$work/numbered"
	# In layer order, whatever order they ended in.
	for layer in unit asan blackbox; do
		while read -r i kind path; do
			[ "$kind" = "$layer" ] || continue
			out=$work/$i.out
			c=$(sed -n 's/^# counts //p' "$out")
			[ -n "$c" ] || c="0 1 0" # the job itself died
			grep -v '^# counts ' "$out"
			set -- $c
			passed=$((passed + $1))
			failed=$((failed + $2))
			skipped=$((skipped + $3))
			if [ "$2" -ne 0 ]; then
				failures="$failures $kind/$(basename "$path")"
			fi
		done <"$work/numbered"
	done
else
	for t in build/host/tests/test_*; do
		run_cmocka "unit/$(basename "$t")" "$t"
	done
	for t in build/asan/tests/test_*; do
		run_cmocka "asan/$(basename "$t")" "$t"
	done
	# memcheck over the same 100,000 cycles: no invalid access, no leak.
	if command -v valgrind >/dev/null; then
		run_cmocka "valgrind/test_bounds" env VR_BOUNDS_NO_RSS=1 valgrind -q --error-exitcode=9 \
			--leak-check=full --errors-for-leak-kinds=definite build/host/tests/test_bounds
	else
		echo "valgrind missing (scripts/deps.sh installs it)"
		failed=$((failed + 1))
		failures="$failures valgrind"
	fi
	# A fuzzer passes when it ran its time without a crash, a sanitizer report
	# or a failed check (scripts/fuzz.sh).
	run_fuzz() {
		name=$1
		timeout --kill-after=10 $((FUZZ_SMOKE_SECONDS + 120)) \
			scripts/fuzz.sh "$FUZZ_SMOKE_SECONDS" "$name" >"$log" 2>&1
		rc=$?
		if [ "$rc" -eq 0 ]; then
			passed=$((passed + 1))
			printf '%-28s %3d passed, %d failed  (%s)\n' "fuzz/$name" 1 0 \
				"$(sed -n 's/.*  \(runs=.*\)/\1/p' "$log")"
		else
			failed=$((failed + 1))
			failures="$failures fuzz/$name"
			cat "$log"
			printf '%-28s %3d passed, %d failed\n' "fuzz/$name" 0 1
		fi
	}

	FUZZ_SMOKE_SECONDS=${FUZZ_SMOKE_SECONDS:-10}
	if ls build/fuzz/fuzz_* >/dev/null 2>&1; then
		for f in tests/fuzz/fuzz_*.c; do
			t=${f#tests/fuzz/fuzz_}
			run_fuzz "${t%.c}"
		done
	else
		# make check builds them: missing fuzzers are a failure, not a skip.
		failed=$((failed + 1))
		failures="$failures fuzz"
		printf '%-28s   0 passed, 1 failed\n' "fuzz"
		echo "    not built: make fuzzers (clang-14, libclang-rt-14-dev)"
	fi
	for t in tests/blackbox/*.sh; do
		run_tap "blackbox/$(basename "$t" .sh)" sh "$t"
	done
	for t in tests/e2e/*.sh; do
		run_tap "e2e/$(basename "$t" .sh)" sh "$t"
	done
fi

echo
echo "# all tests: $(($(date +%s) - started)) s"
[ -n "$failures" ] && echo "failed:$failures"
if [ "$skipped" -ne 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
