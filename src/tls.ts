/**
 * The HTTPS certificate: read from the configured paths, or, on first start,
 * generated self-signed (as OpenBMC's web servers do) and stored with the
 * key readable by the owner only.
 *
 * A pair is generated only when both files are missing, and written so that
 * an existing file is never replaced: when just one exists (a mistyped
 * --tls-key, a key not yet copied over) the start stops naming the missing
 * file, rather than putting a self-signed pair over an admin's certificate.
 * When --tls-cert and --tls-key name the same file (bmcweb's server.pem holds
 * both), the key and the certificate go into it in one write (mode 0600).
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import type * as Selfsigned from 'selfsigned';
import { ConfigError } from './config.js';

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  /** True when this call created the pair. */
  readonly generated: boolean;
}

export async function loadOrCreateCertificate(certPath: string, keyPath: string): Promise<TlsMaterial> {
  const [cert, key] = await Promise.all([readIfExists(certPath), readIfExists(keyPath)]);
  if (cert !== undefined && key !== undefined) return { cert, key, generated: false };
  if (cert !== undefined || key !== undefined) {
    const [present, missing, flag] = cert !== undefined ? [certPath, keyPath, '--tls-key'] : [keyPath, certPath, '--tls-cert'];
    throw new ConfigError(`${flag}: ${missing} does not exist, but ${present} does; not generating a new pair over it `
      + `(point ${flag} at the right file, or move ${present} away to have a self-signed pair created)`);
  }
  const { generate } = await loadGenerator(certPath);
  const name = hostname() || 'openbmc';
  const pems = await generate([{ name: 'commonName', value: name }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: name },
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  } as Parameters<typeof Selfsigned.generate>[1]);
  await mkdir(dirname(keyPath), { recursive: true, mode: 0o700 });
  if (resolve(certPath) === resolve(keyPath)) {
    // One file holding both (bmcweb's server.pem): one exclusive write, readable by the owner only.
    await writeFile(keyPath, pems.private + pems.cert, { mode: 0o600, flag: 'wx' });
    return { cert: pems.cert, key: pems.private, generated: true };
  }
  await mkdir(dirname(certPath), { recursive: true, mode: 0o755 });
  // 'wx': fail rather than replace a file that appeared meanwhile (another instance, an admin).
  await writeFile(keyPath, pems.private, { mode: 0o600, flag: 'wx' });
  try {
    await writeFile(certPath, pems.cert, { mode: 0o644, flag: 'wx' });
  } catch (err) {
    // Never leave a key without its certificate: the next start would refuse the half pair.
    await rm(keyPath, { force: true });
    throw err;
  }
  return { cert: pems.cert, key: pems.private, generated: true };
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The generator (selfsigned and its X.509 stack: ~9 MB installed, ~6 MB of
 * RSS and ~120 ms of start-up when loaded) is needed only on a start without
 * a certificate, so it is loaded then and not on every start.
 */
async function loadGenerator(certPath: string): Promise<typeof Selfsigned> {
  try {
    return await import('selfsigned');
  } catch (err) {
    throw new Error(`no certificate at ${certPath}, and the certificate generator (package selfsigned) cannot be loaded: `
      + `${err instanceof Error ? err.message : String(err)}`);
  }
}
