#!/usr/bin/env bash
# The end-to-end core with the gateway on 32-bit ARM: Node.js's official armv7l build under
# qemu-user (Cortex-A7, the AST2600's core), against the simulated BMC and a dbus-daemon running
# natively. The tests themselves run on this machine's node; only the gateway is ARM
# (BMC_GATEWAY_TEST_NODE, test/helpers/gateway-node.ts), started as the CLI, as on a BMC.
#
#   .ci/arm/run.sh          (after npm ci; .ci/run calls it)
#
# What runs, and why this subset (docs/PERFORMANCE.md, "32-bit ARM"): the files that cover
# what a 32-bit CPU can break: reads of every D-Bus type (read), writes with
# every row of the conversion table, 64-bit values and NaN included (writes, echo-conversion),
# firmware uploads (upload), websockets (subscribe) and authentication (auth, auth-sessions).
# Left to the native run: resilience, lifecycle, socket activation, dump download, request
# logging, subscribe sessions and auth limits (process, bus and timing behaviour, not CPU
# behaviour, and the slowest under emulation); auth-no-dbus and owners-cache (they read the
# in-process gateway's bus connection); PAM (the native addon is built for this machine, not for
# ARM: the ARM gateway uses the users file, as every harness test does); the unit, fixture and
# packaging tests (they run no gateway).
#
# Tests of the files above that cannot run with the gateway in another process, or that measure
# something emulation changes, are excluded by title, each with its reason, below.
#
# Exits non-zero when a test fails or the ARM runtime cannot be fetched: CI fails either way.
set -uo pipefail
cd "$(dirname "$0")/../.."

files=(
  test/e2e/read.test.ts
  test/e2e/writes.test.ts
  test/e2e/echo-conversion.test.ts
  test/e2e/upload.test.ts
  test/e2e/subscribe.test.ts
  test/e2e/auth.test.ts
  test/e2e/auth-sessions.test.ts
)
# "title|reason": a title ava would run, and why it does not run here.
excluded=(
  "no match rule leaks after 200 connect/disconnect cycles|reads the match rules of the in-process bus connection (gateway.bus)"
  "a slow reader is closed with 1008; the connection cap answers 503|needs the reading client to outpace the gateway's 16 MiB burst; under emulation the witness falls behind too"
  "a raw non-ASCII byte in the request line: 400 in the error envelope|Node 20.11's HTTP parser lets the byte through (the gateway answers 404 in the envelope); Node >= 20.12 refuses it with 400"
)

.ci/arm/fetch-runtime.sh build/arm || { echo "the ARM runtime could not be fetched"; exit 1; }

match=()
for entry in "${excluded[@]}"; do
  echo "excluded: ${entry%%|*} (${entry#*|})"
  match+=(--match "!${entry%%|*}")
done
export BMC_GATEWAY_TEST_NODE="$PWD/build/arm/node"
# One file at a time: an emulated gateway keeps a core busy, and the simulated BMC (in the test
# worker) must still answer within the harness's 1 s call deadline. An emulated start takes
# seconds (up to the 2 min bound of test/helpers/cli.ts on a loaded machine): ava's timeout,
# which counts from the last test result, has to cover it.
npx ava --concurrency 1 --timeout 3m "${match[@]}" "${files[@]}"
