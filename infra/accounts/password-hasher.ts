import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { ConcurrencyLimit } from './concurrency-limit.js';

/**
 * Password hashes in a self-describing format, `scrypt$N$r$p$salt$hash` (salt and
 * hash base64url), so the cost can be raised later: old hashes still verify with
 * the parameters they carry, and `needsRehash` tells when to re-hash one.
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Constant-time comparison; a malformed or foreign hash is `false`, never an error. */
  verify(password: string, encoded: string): Promise<boolean>;
  /** True when `encoded` was made with other parameters than this hasher's. */
  needsRehash(encoded: string): boolean;
  /**
   * Spends the work of one `verify` against a hash no password matches, so that
   * answering "unknown user" takes as long as "wrong password".
   */
  verifyDummy(password: string): Promise<void>;
}

export interface ScryptParameters {
  N: number;
  r: number;
  p: number;
}

/** OWASP Password Storage Cheat Sheet: N=2^17, r=8, p=1, about 128 MiB and 0.5 s a hash. */
export const OWASP_LOG2_N = 17;
const R = 8;
const P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** 2 × 128 MiB in flight at most; more would only make each one slower and the process larger. */
const MAX_CONCURRENT_HASHES = 2;

/** Hashes read back from the database are data: refuse parameters that would exhaust memory or CPU. */
const MAX_LOG2_N = 20;
const MAX_R = 32;
const MAX_P = 16;

export interface ScryptHasherOptions {
  /**
   * log2 of scrypt's N (the memory and CPU cost). Defaults to OWASP's 17. Only tests
   * lower it; it is not read from the environment, so no deployment can weaken it by accident.
   */
  log2N?: number;
}

interface Decoded extends ScryptParameters {
  salt: Buffer;
  hash: Buffer;
}

/** scrypt needs 128·N·r bytes; Node refuses anything over `maxmem` (32 MiB by default). */
function maxmemFor({ N, r, p }: ScryptParameters): number {
  return 128 * N * r + 128 * r * p + 1024 * 1024;
}

function derive(password: string, salt: Buffer, keyLength: number, parameters: ScryptParameters) {
  const options: ScryptOptions = { ...parameters, maxmem: maxmemFor(parameters) };
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

function isPowerOfTwo(value: number): boolean {
  return Number.isSafeInteger(value) && value > 1 && (value & (value - 1)) === 0;
}

function decode(encoded: string): Decoded | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map((part) => (/^\d{1,10}$/.test(part) ? Number(part) : NaN));
  if (N === undefined || r === undefined || p === undefined) return undefined;
  if (!isPowerOfTwo(N) || N > 2 ** MAX_LOG2_N) return undefined;
  if (!(r >= 1 && r <= MAX_R && p >= 1 && p <= MAX_P)) return undefined;
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const hash = Buffer.from(parts[5] ?? '', 'base64url');
  if (salt.length < SALT_BYTES || hash.length < 16 || hash.length > 64) return undefined;
  return { N, r, p, salt, hash };
}

function encode({ N, r, p, salt, hash }: Decoded): string {
  return ['scrypt', N, r, p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export function createScryptPasswordHasher(options: ScryptHasherOptions = {}): PasswordHasher {
  const log2N = options.log2N ?? OWASP_LOG2_N;
  if (!Number.isInteger(log2N) || log2N < 1 || log2N > MAX_LOG2_N) {
    throw new RangeError(`log2N must be an integer from 1 to ${MAX_LOG2_N}`);
  }
  const parameters: ScryptParameters = { N: 2 ** log2N, r: R, p: P };
  const limit = new ConcurrencyLimit(MAX_CONCURRENT_HASHES);
  let dummy: Promise<string> | undefined;

  const hash = async (password: string): Promise<string> => {
    const salt = randomBytes(SALT_BYTES);
    const key = await limit.run(() => derive(password, salt, KEY_BYTES, parameters));
    return encode({ ...parameters, salt, hash: key });
  };

  const verify = async (password: string, encoded: string): Promise<boolean> => {
    const decoded = decode(encoded);
    if (!decoded) return false;
    const key = await limit.run(() => derive(password, decoded.salt, decoded.hash.length, decoded));
    return timingSafeEqual(key, decoded.hash);
  };

  return {
    hash,
    verify,
    needsRehash(encoded) {
      const decoded = decode(encoded);
      return (
        !decoded ||
        decoded.N !== parameters.N ||
        decoded.r !== parameters.r ||
        decoded.p !== parameters.p ||
        decoded.hash.length !== KEY_BYTES
      );
    },
    async verifyDummy(password) {
      // Made once, lazily, with the current parameters: the same cost as a real account's check.
      dummy ??= hash(randomBytes(32).toString('base64url'));
      await verify(password, await dummy);
    },
  };
}
