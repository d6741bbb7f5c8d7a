/**
 * What this gateway is: its package version and the version of the REST API
 * it serves (GET /version, --version).
 */
import { readFileSync } from 'node:fs';

/**
 * The API: phosphor-rest-server's (1), plus jobs, locks, ETags and the
 * self-description routes (.1). Clients compare the major number.
 */
export const API_VERSION = '1.1';

let cached: string | undefined;

/** The version in package.json, which sits two levels above build/src/ wherever the package is installed. */
export function packageVersion(): string {
  if (cached === undefined) {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    cached = String(manifest.version);
  }
  return cached;
}
