/**
 * Which TLS the HTTPS server speaks: TLS 1.2 and 1.3 only, and on TLS 1.2
 * only ECDHE key exchange with AEAD ciphers (GCM, ChaCha20-Poly1305), as
 * Mozilla's "intermediate" configuration without its DHE suites. Node's
 * defaults also offer CBC and CCM8 suites on TLS 1.2. The client's order
 * decides (Mozilla: all listed suites are strong; clients without AES
 * hardware prefer ChaCha20).
 */
import type { SecureContextOptions, TlsOptions } from 'node:tls';

export const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

export const TLS12_SUITES = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
];

export const TLS_POLICY: Pick<TlsOptions & SecureContextOptions, 'minVersion' | 'ciphers' | 'honorCipherOrder'> = {
  minVersion: 'TLSv1.2',
  ciphers: [...TLS13_SUITES, ...TLS12_SUITES].join(':'),
  honorCipherOrder: false,
};
