#!/usr/bin/env bash
# Checks the systemd units in systemd/ the way a BMC's systemd would load them.
#
#  1. `systemd-analyze verify` on every unit. verify fails (rc 1) when an
#     ExecStart binary is missing, so the units are copied into a temp dir with
#     the installed path /usr/bin/bmc-rest-gateway pointed at an executable stub.
#     Unknown keys and other mistakes only warn (rc 0), so ANY stderr output is a
#     failure here too.
#  2. `systemd-analyze security --offline=yes` on every service: prints the
#     exposure score (recorded in docs/DEPLOYMENT.md) and fails when it rises
#     above MAX_EXPOSURE (default 2.0).
#  3. The tmpfiles.d snippet, applied with `systemd-tmpfiles --root` to a temp
#     dir: no stderr, and /tmp/images is created.
#
# UNITS_DIR (default systemd) selects the directory to check (the tests use it
# to feed the checker broken units).
# Exit status: 0 all good, 1 a check failed, 3 systemd-analyze is not installed.
# Output lines "EXPOSURE <unit> <score>" are meant for scripts (the ava test).
set -uo pipefail
cd "$(dirname "$0")/.."

INSTALLED_BIN=/usr/bin/bmc-rest-gateway
MAX_EXPOSURE=${MAX_EXPOSURE:-2.0}
UNITS_DIR=${UNITS_DIR:-systemd}
UNITS_DIR=$(cd "$UNITS_DIR" && pwd) || { echo "check-units: no directory $UNITS_DIR" >&2; exit 1; }

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "check-units: systemd-analyze not found (Debian: apt-get install systemd)" >&2
  exit 3
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/check-units.XXXXXX")
trap 'rm -rf "$work"' EXIT

units=()
for unit in "$UNITS_DIR"/*.service "$UNITS_DIR"/*.socket; do
  [ -e "$unit" ] || continue
  units+=("$unit")
done
if [ ${#units[@]} -eq 0 ]; then
  echo "check-units: no units in $UNITS_DIR" >&2
  exit 1
fi

stub="$work/bin/bmc-rest-gateway"
mkdir -p "$work/bin" "$work/units"
printf '#!/bin/sh\nexit 0\n' >"$stub"
chmod 755 "$stub"

failed=0
fail() {
  echo "FAIL $*"
  failed=1
}

copies=()
for unit in "${units[@]}"; do
  copy="$work/units/$(basename "$unit")"
  # Only the installed binary path changes; everything else is checked as shipped.
  sed "s|$INSTALLED_BIN\\b|$stub|g" "$unit" >"$copy"
  copies+=("$copy")
done

# Run from the temp dir so nothing in the working tree can be picked up.
run() { (cd "$work" && "$@"); }

# 1. verify each unit alone (its partner is found in the same directory), then all together.
for copy in "${copies[@]}" ALL; do
  if [ "$copy" = ALL ]; then set -- "${copies[@]}"; name="all units"; else set -- "$copy"; name=$(basename "$copy"); fi
  run systemd-analyze verify "$@" >"$work/out" 2>"$work/err"
  rc=$?
  if [ $rc -ne 0 ] || [ -s "$work/err" ]; then
    fail "systemd-analyze verify $name (rc $rc):"
    sed "s|$work/units/||g; s|$stub|$INSTALLED_BIN|g; s|^|    |" "$work/err" "$work/out"
  else
    echo "ok   systemd-analyze verify $name"
  fi
done

# 2. security exposure of each service.
for copy in "${copies[@]}"; do
  case "$copy" in *.service) ;; *) continue ;; esac
  name=$(basename "$copy")
  run systemd-analyze security --offline=yes --no-pager "$copy" >"$work/out" 2>"$work/err"
  rc=$?
  score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$work/out" | tail -1)
  if [ $rc -ne 0 ] || [ -s "$work/err" ] || [ -z "$score" ]; then
    fail "systemd-analyze security --offline=yes $name (rc $rc):"
    sed 's/^/    /' "$work/err"
    continue
  fi
  echo "EXPOSURE $name $score"
  if awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s > m) }'; then
    fail "$name: exposure $score is above MAX_EXPOSURE=$MAX_EXPOSURE"
    grep '✗' "$work/out" | sed 's/^/    /'
  fi
done

# 3. tmpfiles.d snippet.
for snippet in "$UNITS_DIR"/*.tmpfiles; do
  [ -e "$snippet" ] || continue
  root="$work/root-$(basename "$snippet")"
  mkdir -p "$root"
  systemd-tmpfiles --root="$root" --create "$snippet" >"$work/out" 2>"$work/err"
  rc=$?
  if [ $rc -ne 0 ] || [ -s "$work/err" ]; then
    fail "systemd-tmpfiles --create $(basename "$snippet") (rc $rc):"
    sed 's/^/    /' "$work/err"
  elif [ ! -d "$root/tmp/images" ]; then
    fail "$(basename "$snippet") did not create /tmp/images"
  else
    echo "ok   systemd-tmpfiles --create $(basename "$snippet")"
  fi
done

if [ $failed -ne 0 ]; then
  echo "check-units: FAILED"
  exit 1
fi
echo "check-units: all units OK"
