import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * scrypt with N=2^15, r=8, p=3: the OWASP-equivalent setting at 32 MiB per hash. Stored with its
 * parameters (`scrypt$N$r$p$salt$hash`), so raising them later still verifies the older hashes.
 */
const CURRENT = { N: 2 ** 15, r: 8, p: 3 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

export async function hashPassword(password: string): Promise<string> {
  const { N, r, p } = CURRENT;
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, CURRENT);
  return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const match = FORMAT.exec(stored);
  // Our own column: a value we cannot read is a bug to hear about, not a wrong password.
  if (!match) throw new Error('a stored password hash is not in the scrypt$N$r$p$salt$hash format');
  const [, N, r, p, salt, hash] = match;
  const expected = Buffer.from(hash!, 'base64');
  const actual = await derive(password, Buffer.from(salt!, 'base64'), expected.length, { N: Number(N), r: Number(r), p: Number(p) });
  return timingSafeEqual(actual, expected);
}

/** The asynchronous scrypt: it runs on the libuv thread pool, so a login never blocks the event loop. */
function derive(password: string, salt: Buffer, length: number, { N, r, p }: { N: number; r: number; p: number }): Promise<Buffer> {
  // NIST SP 800-63B: normalise, so the same password typed on another keyboard or OS still matches.
  const secret = password.normalize('NFKC');
  // scrypt needs 128·N·r bytes, exactly Node's 32 MiB default limit at these parameters, plus a little: allow twice that.
  const options: ScryptOptions = { N, r, p, maxmem: 2 * 128 * N * r };
  return new Promise((resolve, reject) => scrypt(secret, salt, length, options, (error, key) => (error ? reject(error) : resolve(key))));
}
