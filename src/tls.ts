/**
 * The HTTPS certificate: read from the configured paths, or, on first start,
 * generated self-signed (as OpenBMC's web servers do) and stored with the
 * key readable by the owner only.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type * as Selfsigned from 'selfsigned';

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  /** True when this call created the pair. */
  readonly generated: boolean;
}

export async function loadOrCreateCertificate(certPath: string, keyPath: string): Promise<TlsMaterial> {
  const existing = await readPair(certPath, keyPath);
  if (existing) return { ...existing, generated: false };
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
  await mkdir(dirname(certPath), { recursive: true, mode: 0o755 });
  await writeFile(keyPath, pems.private, { mode: 0o600, flag: 'w' });
  await writeFile(certPath, pems.cert, { mode: 0o644, flag: 'w' });
  return { cert: pems.cert, key: pems.private, generated: true };
}

async function readPair(certPath: string, keyPath: string): Promise<{ cert: string; key: string } | undefined> {
  try {
    const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    return { cert, key };
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
