#!/bin/sh
# Run every test: the unit tests (plain and ASan+UBSan builds), a short
# run of each fuzzer (FUZZ_SMOKE_SECONDS, 10 by default; `make fuzzers`
# builds them) and the black-box tests of the real binaries.  Ends with
# "N passed, N failed".
set -u
cd "$(dirname "$0")/.."

started=$(date +%s)
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
	t0=$(date +%s)
	timeout --kill-after=10 900 "$@" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - t0))
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
	printf '%-28s %3d passed, %d failed  (%d s)\n' "$name" "$p" "$f" "$secs"
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

echo
echo "# all tests: $(($(date +%s) - started)) s"
[ -n "$failures" ] && echo "failed:$failures"
if [ "$skipped" -ne 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
