import { describe, expect, it } from 'vitest';
import { createScryptPasswordHasher } from './password-hasher.js';

const fields = (encoded: string) => {
  const [scheme, N, r, p, salt, hash] = encoded.split('$');
  return {
    scheme,
    N: Number(N),
    r: Number(r),
    p: Number(p),
    salt: Buffer.from(salt ?? '', 'base64url'),
    hash: Buffer.from(hash ?? '', 'base64url'),
  };
};

describe('the scrypt password hasher', () => {
  const cheap = createScryptPasswordHasher({ log2N: 10 });

  it("defaults to OWASP's parameters: N=2^17, r=8, p=1, a 16-byte salt and a 32-byte key", async () => {
    const encoded = await createScryptPasswordHasher().hash('correct horse battery staple');
    expect(fields(encoded)).toMatchObject({ scheme: 'scrypt', N: 131072, r: 8, p: 1 });
    expect(fields(encoded).salt).toHaveLength(16);
    expect(fields(encoded).hash).toHaveLength(32);
  });

  it('accepts the right password and refuses any other', async () => {
    const encoded = await cheap.hash('correct horse battery staple');
    await expect(cheap.verify('correct horse battery staple', encoded)).resolves.toBe(true);
    await expect(cheap.verify('correct horse battery stapl', encoded)).resolves.toBe(false);
    await expect(cheap.verify('', encoded)).resolves.toBe(false);
  });

  it('salts every hash, so one password never hashes the same twice', async () => {
    const [first, second] = await Promise.all([cheap.hash('same password'), cheap.hash('same password')]);
    expect(first).not.toBe(second);
  });

  it('verifies a hash with the parameters it carries, and says when it needs re-hashing', async () => {
    const older = createScryptPasswordHasher({ log2N: 9 });
    const encoded = await older.hash('password one');
    await expect(cheap.verify('password one', encoded)).resolves.toBe(true);
    expect(cheap.needsRehash(encoded)).toBe(true);
    expect(cheap.needsRehash(await cheap.hash('password one'))).toBe(false);
  });

  it('treats a malformed or hostile hash as a mismatch, not an error', async () => {
    const good = fields(await cheap.hash('pw'));
    const salt = good.salt.toString('base64url');
    const hash = good.hash.toString('base64url');
    for (const encoded of [
      '',
      'bcrypt$2b$10$abc',
      `scrypt$1000$8$1$${salt}$${hash}`, // N not a power of two
      `scrypt$${2 ** 30}$8$1$${salt}$${hash}`, // a gigantic N would exhaust memory
      `scrypt$1024$8$1$$${hash}`,
    ]) {
      await expect(cheap.verify('pw', encoded)).resolves.toBe(false);
      expect(cheap.needsRehash(encoded)).toBe(true);
    }
  });

  it('spends the work of a real check on a dummy hash', async () => {
    await expect(cheap.verifyDummy('anything at all')).resolves.toBeUndefined();
  });

  it('normalizes the password, so composed and decomposed accents match', async () => {
    const encoded = await cheap.hash('caf\u00e9 au lait');
    await expect(cheap.verify('cafe\u0301 au lait', encoded)).resolves.toBe(true);
  });

  it('refuses a cost outside 1 to 20', () => {
    expect(() => createScryptPasswordHasher({ log2N: 0 })).toThrow(RangeError);
    expect(() => createScryptPasswordHasher({ log2N: 21 })).toThrow(RangeError);
  });
});
