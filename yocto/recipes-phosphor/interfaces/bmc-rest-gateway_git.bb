SUMMARY = "OpenBMC D-Bus REST API gateway (phosphor-rest-server compatible)"
DESCRIPTION = "A Node.js daemon that serves the BMC's D-Bus objects as the JSON REST \
API of phosphor-rest-server and bmcweb's D-Bus routes, with authentication, \
a role policy, firmware upload and /subscribe, socket-activated on HTTPS."
LICENSE = "Apache-2.0"
# The licence text in the source tree (the Apache License 2.0 as apache.org publishes it).
LIC_FILES_CHKSUM = "file://LICENSE;md5=3b83ef96387f14655fc854ddc3c6bd57"

# How this builds (see yocto/README.md, "How the recipe builds"): not with
# `inherit npm`, because the npm class packs the source with scripts disabled
# and installs production dependencies only, so the TypeScript compiler (a
# devDependency) is never there to produce build/. Instead:
#  - do_fetch/do_unpack: the source from git, and every package of
#    package-lock.json (copied next to this recipe as npm-shrinkwrap.json,
#    devDependencies included) through the npmsw fetcher, unpacked into
#    ${S}/node_modules: no network after do_fetch;
#  - do_compile: tsc on the build host's node (nodejs-native), then
#    prune-runtime.mjs keeps only the runtime dependency tree, and the
#    gateway's PAM addon (native/pam, Node-API C) is cross-built for the
#    target with npm's bundled node-gyp;
#  - do_install: the package under ${nonarch_libdir}/node_modules, the
#    command in ${bindir}, the units, the PAM service, the default config and policy.

# PLACEHOLDERS an integrator must set (yocto/README.md, step 3): where the source
# is fetched from and which commit is built. This project has no published
# repository address; until both are set the recipe is skipped with a message
# saying so, rather than fetching from an address that does not exist.
#   BMC_REST_GATEWAY_GIT:pn-bmc-rest-gateway = "git://<your git server>/bmc-rest-gateway.git;protocol=https;branch=main"
#   SRCREV:pn-bmc-rest-gateway = "<commit>"    (or "${AUTOREV}" to follow the branch)
BMC_REST_GATEWAY_GIT ??= ""
SRCREV ??= ""
python () {
    missing = [name for name in ('BMC_REST_GATEWAY_GIT', 'SRCREV') if not (d.getVar(name) or '').strip()]
    if missing:
        raise bb.parse.SkipRecipe('set %s to the source of bmc-rest-gateway (placeholders; see yocto/README.md)' % ' and '.join(missing))
}
HOMEPAGE = "https://example.invalid/bmc-rest-gateway (placeholder: the project's address)"
SRC_URI = " \
    ${BMC_REST_GATEWAY_GIT};destsuffix=git \
    npmsw://${THISDIR}/${BPN}/npm-shrinkwrap.json;dev=1 \
    file://prune-runtime.mjs \
    file://pam.d/bmc-rest-gateway \
"
PV = "0.1.0+git"

# Poky before styhead unpacks into WORKDIR and has no UNPACKDIR.
UNPACKDIR ?= "${WORKDIR}"
S = "${UNPACKDIR}/git"

inherit systemd python3native

# The oldest Node.js the gateway runs on: package.json's "engines" (.ci/check-recipe.mjs keeps
# the two equal), tested on 32-bit ARM under emulation in CI (docs/DEPLOYMENT.md, "Which chips,
# which Node"). The versioned RDEPENDS makes do_rootfs refuse an older nodejs.
BMC_REST_GATEWAY_NODE_MIN = "20.11.0"
# ARMv6 (AST2500) is refused unless set to "1": see bmc_rest_gateway_unsupported below.
BMC_REST_GATEWAY_ALLOW_ARMV6 ??= "0"

DEPENDS = "nodejs-native libpam"
RDEPENDS:${PN} += " \
    nodejs (>= ${BMC_REST_GATEWAY_NODE_MIN}) \
    libpam \
    phosphor-mapper \
    pam-plugin-localuser \
    pam-plugin-succeed-if \
"

# TCP port of bmc-rest-gateway.socket. bmcweb also listens on 443: keep 443
# only in an image without bmcweb (yocto/README.md, "Beside or instead of bmcweb").
BMC_REST_GATEWAY_PORT ?= "443"
# Optional runtime dependencies left out of the image: dbus-next's usocket
# (native fd passing the gateway never uses, ~100 packages of build tooling),
# and otpauth (one-time codes of the users-file backend; on the BMC, PAM's
# google-authenticator module checks them).
BMC_REST_GATEWAY_DROP ?= "usocket otpauth"

def bmc_rest_gateway_node_arch(d):
    """node-gyp's name for the target CPU."""
    arch = d.getVar('TARGET_ARCH')
    names = {'arm': 'arm', 'aarch64': 'arm64', 'x86_64': 'x64', 'i586': 'ia32', 'i686': 'ia32',
             'powerpc64le': 'ppc64', 'riscv64': 'riscv64'}
    return names.get(arch, arch)

def bmc_rest_gateway_unsupported(d):
    """Why Node.js (V8) cannot run the gateway on this machine's CPU, or None.
    V8's ARM ports are ARMv7 and ARMv8, and ARMv6 with VFPv2; meta-oe's nodejs
    recipe excludes ARMv4/ARMv5 itself. ARMv6 builds of Node.js are
    "experimental" upstream, with no official binaries, and OpenBMC's AST2500
    tune (arm1176jzs) declares no VFP: refused unless the integrator opts in."""
    if d.getVar('TARGET_ARCH') != 'arm':
        return None
    overrides = (d.getVar('MACHINEOVERRIDES') or '').split(':')
    features = (d.getVar('TUNE_FEATURES') or '').split()
    if 'armv4' in overrides or 'armv5' in overrides:
        return ('ARMv4/ARMv5 (e.g. the AST2400): V8, and so Node.js, has no port for this CPU; '
                'see docs/DEPLOYMENT.md, "Which chips, which Node"')
    if 'armv6' in overrides and d.getVar('BMC_REST_GATEWAY_ALLOW_ARMV6') != '1':
        fpu = 'with' if 'vfp' in features else 'without'
        return ('ARMv6 (e.g. the AST2500), tuned %s VFP: Node.js supports ARMv6 only as "experimental" '
                '(no official builds) and V8 needs ARMv6 with VFPv2. If this core has a VFP and your '
                'nodejs build runs on it, set BMC_REST_GATEWAY_ALLOW_ARMV6 = "1"; see docs/DEPLOYMENT.md, '
                '"Which chips, which Node"' % fpu)
    return None

python __anonymous () {
    reason = bmc_rest_gateway_unsupported(d)
    if reason:
        raise bb.parse.SkipRecipe(reason)
}

def bmc_rest_gateway_drop_args(d):
    return ' '.join('--drop ' + name for name in (d.getVar('BMC_REST_GATEWAY_DROP') or '').split())

do_configure[noexec] = "1"

do_compile() {
    cd ${S}
    # Keep npm and node-gyp away from the build user's home.
    export HOME="${WORKDIR}"

    # 1. TypeScript -> build/ (runs on the build host).
    node node_modules/typescript/bin/tsc -p tsconfig.json
    # The browser console's static files -> build/console (esbuild, on the build host).
    node console/build.mjs

    # 2. Only what runs on the BMC: no devDependencies, no dropped optionals,
    #    no source maps, declarations or docs.
    node ${UNPACKDIR}/prune-runtime.mjs ${S} --trim ${@bmc_rest_gateway_drop_args(d)}

    # 3. The PAM addon (pam_start, pam_authenticate, pam_acct_mgmt, pam_end),
    #    cross-built against the target's libpam. npm's own node-gyp is used on
    #    purpose: older copies in node_modules cannot run on Node >= 19 (see
    #    native/pam/build.mjs).
    node ${STAGING_LIBDIR_NATIVE}/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js rebuild \
        --directory native/pam \
        --arch=${@bmc_rest_gateway_node_arch(d)} \
        --nodedir=${RECIPE_SYSROOT_NATIVE}${prefix_native}
}

do_install() {
    dest=${D}${nonarch_libdir}/node_modules/bmc-rest-gateway
    install -d ${dest}/build
    cp -R --no-preserve=ownership ${S}/build/src ${dest}/build/
    cp -R --no-preserve=ownership ${S}/build/console ${dest}/build/
    find ${dest}/build -name '*.map' -delete
    chmod 0755 ${dest}/build/src/main.js
    install -m 0644 ${S}/package.json ${dest}/package.json
    cp -R --no-preserve=ownership ${S}/node_modules ${dest}/
    # Where build/src/auth/pam.js loads it from.
    install -D -m 0755 ${S}/native/pam/build/Release/pam_binding.node ${dest}/native/pam/build/Release/pam_binding.node

    install -d ${D}${bindir}
    ln -sf ../lib/node_modules/bmc-rest-gateway/build/src/main.js ${D}${bindir}/bmc-rest-gateway

    install -d ${D}${systemd_system_unitdir}
    install -m 0644 ${S}/systemd/bmc-rest-gateway.service ${D}${systemd_system_unitdir}/bmc-rest-gateway.service
    install -m 0644 ${S}/systemd/bmc-rest-gateway.socket ${D}${systemd_system_unitdir}/bmc-rest-gateway.socket
    sed -i -e 's/^ListenStream=443$/ListenStream=${BMC_REST_GATEWAY_PORT}/' \
        ${D}${systemd_system_unitdir}/bmc-rest-gateway.socket
    install -D -m 0644 ${S}/systemd/bmc-rest-gateway.tmpfiles ${D}${nonarch_libdir}/tmpfiles.d/bmc-rest-gateway.conf

    install -D -m 0644 ${UNPACKDIR}/pam.d/bmc-rest-gateway ${D}${sysconfdir}/pam.d/bmc-rest-gateway
    install -D -m 0644 ${S}/config/config.json ${D}${sysconfdir}/bmc-rest-gateway/config.json
    install -D -m 0644 ${S}/config/policy.json ${D}${sysconfdir}/bmc-rest-gateway/policy.json
}

SYSTEMD_SERVICE:${PN} = "bmc-rest-gateway.socket bmc-rest-gateway.service"

FILES:${PN} += " \
    ${nonarch_libdir}/node_modules/bmc-rest-gateway \
    ${nonarch_libdir}/tmpfiles.d/bmc-rest-gateway.conf \
    ${systemd_system_unitdir}/bmc-rest-gateway.service \
    ${systemd_system_unitdir}/bmc-rest-gateway.socket \
    ${sysconfdir}/pam.d/bmc-rest-gateway \
    ${sysconfdir}/bmc-rest-gateway \
"
CONFFILES:${PN} = " \
    ${sysconfdir}/bmc-rest-gateway/config.json \
    ${sysconfdir}/bmc-rest-gateway/policy.json \
    ${sysconfdir}/pam.d/bmc-rest-gateway \
"
