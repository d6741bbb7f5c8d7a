#!/usr/bin/env bash
# Prints "PASSED FAILED" for an ava run, from its output file and its exit status.
#
#   .ci/ava-counts.sh OUTPUT_FILE EXIT_STATUS
#
# ava ends with "N tests passed" only when nothing failed; on failure it prints "N tests failed"
# and no passed total, so the passes are then counted from its per-test "✔ name" lines. A run
# that failed without any failed test (a crash, a compile error, a setup step) counts as 1 failed.
set -uo pipefail
output_file=$1
status=$2
passed=$(grep -Eo '([0-9]+) tests? passed' "$output_file" | tail -1 | grep -Eo '^[0-9]+' || true)
failed=$(grep -Eo '([0-9]+) tests? failed' "$output_file" | tail -1 | grep -Eo '^[0-9]+' || true)
if [ -z "$passed" ]; then passed=$(grep -Ec '^[[:space:]]*✔ ' "$output_file" || true); fi
passed=${passed:-0}
failed=${failed:-0}
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed $failed"
