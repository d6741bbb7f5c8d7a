/**
 * The recipe's Node.js checks, for .ci/check-recipe.mjs:
 *  - RDEPENDS names `nodejs (>= BMC_REST_GATEWAY_NODE_MIN)`, and that minimum
 *    is the one in package.json's "engines" (one number, two places);
 *  - bmc_rest_gateway_unsupported(d), the recipe's Python that makes bitbake
 *    skip the recipe where Node.js cannot run, is run with python3 against
 *    the BMC SoCs of docs/DEPLOYMENT.md ("Which chips, which Node"), with
 *    the TARGET_ARCH, MACHINEOVERRIDES and TUNE_FEATURES their OpenBMC tunes
 *    set, and must refuse or accept each as that table says.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What OpenBMC's machine includes set for each SoC (meta-aspeed, meta-nuvoton), and the verdict. */
export const SOCS = [
  { soc: 'AST2400', tune: 'arm926ejs', vars: { TARGET_ARCH: 'arm', MACHINEOVERRIDES: 'armv5:aspeed-g4', TUNE_FEATURES: 'arm thumb arm926ejs' }, expect: 'refused' },
  { soc: 'AST2500', tune: 'arm1176jzs', vars: { TARGET_ARCH: 'arm', MACHINEOVERRIDES: 'armv6:aspeed-g5', TUNE_FEATURES: 'arm thumb arm1176jzs' }, expect: 'refused' },
  { soc: 'AST2500, BMC_REST_GATEWAY_ALLOW_ARMV6 = "1"', tune: 'arm1176jzs', vars: { TARGET_ARCH: 'arm', MACHINEOVERRIDES: 'armv6:aspeed-g5', TUNE_FEATURES: 'arm thumb arm1176jzs', BMC_REST_GATEWAY_ALLOW_ARMV6: '1' }, expect: 'accepted' },
  { soc: 'AST2600', tune: 'cortexa7thf-neon-vfpv4', vars: { TARGET_ARCH: 'arm', MACHINEOVERRIDES: 'armv7ve:aspeed-g6', TUNE_FEATURES: 'arm vfp cortexa7 neon vfpv4 thumb callconvention-hard' }, expect: 'accepted' },
  { soc: 'NPCM7xx', tune: 'arm7a-novfp', vars: { TARGET_ARCH: 'arm', MACHINEOVERRIDES: 'armv7a:npcm7xx', TUNE_FEATURES: 'arm armv7a arm7a-novfp' }, expect: 'accepted' },
  { soc: 'AST2700', tune: 'cortexa35', vars: { TARGET_ARCH: 'aarch64', MACHINEOVERRIDES: 'aarch64:aspeed-g7', TUNE_FEATURES: 'aarch64 crc cortexa35' }, expect: 'accepted' },
  { soc: 'NPCM8xx', tune: 'cortexa35', vars: { TARGET_ARCH: 'aarch64', MACHINEOVERRIDES: 'aarch64:npcm8xx', TUNE_FEATURES: 'aarch64 crc cortexa35' }, expect: 'accepted' },
];

/** The text of `def NAME(d):` and its indented body, or undefined. */
function pythonFunction(recipeText, name) {
  const lines = recipeText.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`def ${name}(`));
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < lines.length && /^(\s+\S|\s*$)/.test(lines[end]) && !/^\S/.test(lines[end])) end++;
  return lines.slice(start, end).join('\n');
}

/** Runs the recipe's function for every SoC; returns [{soc, reason}] (reason null: accepted). */
function runUnsupported(source, defaults) {
  const program = `
import json, sys
class D:
    def __init__(self, values): self.values = values
    def getVar(self, name, expand=True): return self.values.get(name)
${source}
cases = json.load(sys.stdin)
print(json.dumps([{"soc": c["soc"], "reason": bmc_rest_gateway_unsupported(D(c["vars"]))} for c in cases]))
`;
  const cases = SOCS.map(({ soc, vars }) => ({ soc, vars: { ...defaults, ...vars } }));
  return JSON.parse(execFileSync('python3', ['-c', program], { input: JSON.stringify(cases), encoding: 'utf8' }));
}

export function checkNodeSupport({ recipeText, root, lookup, expand, ok, fail }) {
  const minimum = expand(lookup('BMC_REST_GATEWAY_NODE_MIN') ?? '');
  const engines = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines?.node ?? '';
  if (!/^\d+\.\d+\.\d+$/.test(minimum)) fail(`BMC_REST_GATEWAY_NODE_MIN is '${minimum}', not a version`);
  else if (engines !== `>=${minimum}`) fail(`BMC_REST_GATEWAY_NODE_MIN ${minimum} differs from package.json engines.node '${engines}'`);
  else ok(`BMC_REST_GATEWAY_NODE_MIN ${minimum} is package.json's engines.node`);

  const rdepends = expand(lookup('RDEPENDS:${PN}') ?? '');
  if (!rdepends.includes(`nodejs (>= ${minimum})`)) fail(`RDEPENDS:\${PN} lacks 'nodejs (>= ${minimum})'`);
  else ok(`RDEPENDS:\${PN} has nodejs (>= ${minimum})`);

  const source = pythonFunction(recipeText, 'bmc_rest_gateway_unsupported');
  if (!source) return fail('the recipe has no bmc_rest_gateway_unsupported(d)');
  if (!/python __anonymous \(\) \{\s*\n\s*reason = bmc_rest_gateway_unsupported\(d\)\s*\n\s*if reason:\s*\n\s*raise bb\.parse\.SkipRecipe\(reason\)/.test(recipeText)) {
    fail('no anonymous python raises SkipRecipe with bmc_rest_gateway_unsupported(d)');
  }
  let results;
  try {
    results = runUnsupported(source, { BMC_REST_GATEWAY_ALLOW_ARMV6: expand(lookup('BMC_REST_GATEWAY_ALLOW_ARMV6') ?? '') });
  } catch (err) {
    return fail(`bmc_rest_gateway_unsupported(d) did not run under python3: ${err.message}`);
  }
  for (const [i, { soc, tune, expect }] of SOCS.entries()) {
    const reason = results[i]?.reason ?? null;
    const got = reason === null ? 'accepted' : 'refused';
    const line = `${soc} (${tune}): ${got}${reason ? ` (${reason})` : ''}`;
    if (got === expect) ok(line);
    else fail(`${line}; docs/DEPLOYMENT.md says ${expect}`);
  }
}
