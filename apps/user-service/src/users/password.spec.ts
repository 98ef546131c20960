import { hashPassword, verifyPassword } from './password';

describe('password hashing', () => {
  it('verifies the right password and refuses another', async () => {
    const stored = await hashPassword('correct horse battery');

    await expect(verifyPassword('correct horse battery', stored)).resolves.toBe(true);
    await expect(verifyPassword('correct horse batterY', stored)).resolves.toBe(false);
  });

  it('salts: the same password hashes differently each time', async () => {
    expect(await hashPassword('correct horse battery')).not.toBe(await hashPassword('correct horse battery'));
  });

  it('still verifies hashes made with other parameters, read from the stored string', async () => {
    const salt = Buffer.alloc(16, 1).toString('base64');
    const { scrypt } = await import('node:crypto');
    const key = await new Promise<Buffer>((resolve, reject) =>
      scrypt('old password', Buffer.from(salt, 'base64'), 32, { N: 2 ** 14, r: 8, p: 1 }, (error, derived) => (error ? reject(error) : resolve(derived))),
    );

    await expect(verifyPassword('old password', `scrypt$16384$8$1$${salt}$${key.toString('base64')}`)).resolves.toBe(true);
  });

  it('matches a password typed in another Unicode normal form', async () => {
    const stored = await hashPassword('caf\u00e9 au lait'); // é as one code point

    await expect(verifyPassword('cafe\u0301 au lait', stored)).resolves.toBe(true); // e + combining accent
  });
});
