#!/usr/bin/env bash
# Builds the optional PAM binding (authenticate-pam, with nan) into node_modules when npm could not.
#
# Why this exists: dbus-next's optional dependency usocket pulls in node-gyp 7, and npm links
# that node-gyp into node_modules/.bin, where it shadows npm's own node-gyp while install
# scripts run. node-gyp 7 cannot run on Node >= 19 (process.config is read-only), so `npm ci`
# fails to build authenticate-pam and, the package being optional, silently drops it.
# Here the exact locked versions are fetched with `npm pack`, their integrity is compared with
# package-lock.json, and the addon is built with npm's bundled (current) node-gyp.
# usocket is left alone on purpose: if it were built, dbus-next would switch its transport.
#
# Needs libpam0g-dev (the PAM headers) and a C++ toolchain. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

addon=node_modules/authenticate-pam/build/Release/authenticate_pam.node
if [ -f "$addon" ]; then
  echo "PAM binding already built: $addon"
  exit 0
fi

locked() { # locked <package> <field>
  node -e 'const l = require("./package-lock.json"); const p = l.packages["node_modules/" + process.argv[1]];
    if (!p) { console.error("not in package-lock.json: " + process.argv[1]); process.exit(1); }
    process.stdout.write(String(p[process.argv[2]]));' "$1" "$2"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for pkg in authenticate-pam nan; do
  version=$(locked "$pkg" version)
  expected=$(locked "$pkg" integrity)
  actual=$(cd "$tmp" && npm pack --silent --json "$pkg@$version" | node -e \
    'let s = ""; process.stdin.on("data", (c) => s += c).on("end", () => process.stdout.write(JSON.parse(s)[0].integrity))')
  if [ "$actual" != "$expected" ]; then
    echo "integrity mismatch for $pkg@$version: lock $expected, registry $actual" >&2
    exit 1
  fi
  rm -rf "node_modules/$pkg"
  mkdir -p "node_modules/$pkg"
  tar xzf "$tmp/$pkg-$version.tgz" --strip-components=1 -C "node_modules/$pkg"
done

npm_dir=$(dirname "$(readlink -f "$(command -v npm)")")/..
node_gyp="$npm_dir/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$node_gyp" ] || { echo "npm's bundled node-gyp not found at $node_gyp" >&2; exit 1; }
# Use the installed Node headers when npm is configured for them (no download).
nodedir=$(npm config get nodedir 2>/dev/null || true)
gyp_args=(rebuild)
if [ -n "$nodedir" ] && [ "$nodedir" != "undefined" ] && [ "$nodedir" != "null" ]; then gyp_args+=("--nodedir=$nodedir"); fi
(cd node_modules/authenticate-pam && node "$node_gyp" "${gyp_args[@]}")
node -e 'require("authenticate-pam"); console.log("PAM binding built")'
