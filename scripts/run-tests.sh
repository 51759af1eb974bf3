#!/bin/sh
# Run every test: the unit tests (plain and ASan+UBSan builds) and the
# black-box tests of the real binaries.  Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0
skipped=0
failures=""
log=$(mktemp /tmp/vmreclaim-tests-XXXXXX)
trap 'rm -f "$log"' EXIT

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
	timeout --kill-after=10 900 "$@" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		failures="$failures $name"
		cat "$log"
	else
		grep '^# ' "$log" || true
	fi
	printf '%-28s %3d passed, %d failed\n' "$name" "$p" "$f"
}

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
for t in tests/blackbox/*.sh; do
	run_tap "blackbox/$(basename "$t" .sh)" sh "$t"
done
for t in tests/e2e/*.sh; do
	run_tap "e2e/$(basename "$t" .sh)" sh "$t"
done

echo
[ -n "$failures" ] && echo "failed:$failures"
if [ "$skipped" -ne 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
