/**
 * SIP digest HA1 hashes, so the password itself is never stored:
 * HA1 = H(username ":" realm ":" password), with H = MD5 (RFC 2617/3261) and
 * H = SHA-256 (RFC 7616, used for SIP by RFC 8760). The registrar answers a
 * challenge from either hash without knowing the password.
 */
import { createHash } from 'node:crypto';

export interface DigestHashes {
  ha1Md5: string;
  ha1Sha256: string;
}

export function digestHa1(
  algorithm: 'md5' | 'sha256',
  username: string,
  realm: string,
  password: string,
): string {
  return createHash(algorithm).update(`${username}:${realm}:${password}`, 'utf8').digest('hex');
}

export function digestHashes(username: string, realm: string, password: string): DigestHashes {
  return {
    ha1Md5: digestHa1('md5', username, realm, password),
    ha1Sha256: digestHa1('sha256', username, realm, password),
  };
}
