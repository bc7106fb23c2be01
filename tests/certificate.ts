/** A self-signed TLS certificate for tests, made by openssl (installed with Debian's openssl package; .ci/run checks). */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** A certificate for `names` (and 127.0.0.1), valid for a day, in `dir`: cert.pem and key.pem. */
export function selfSigned(dir: string, names: string[]): { cert: string; key: string } {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const san = [...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1'].join(',');
  const made = spawnSync(
    'openssl',
    // -addext needs OpenSSL 1.1.1 or later (Debian 11+); a P-256 key is made in milliseconds.
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1']
      .concat(['-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${san}`, '-keyout', key, '-out', cert]),
    { encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(`openssl could not make a certificate: ${made.error?.message ?? made.stderr}`);
  return { cert, key };
}
