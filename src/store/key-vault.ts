import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encrypts an exposed key for the liveness checks of a rotation: AES-256-GCM with the key from
 * KEY_ENCRYPTION_KEY, bound to the key's fingerprint (additional data), stored as iv | tag | ciphertext.
 */
export class KeyVault {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    if (secret.length !== 32) throw new Error('the key encryption key must be 32 bytes');
    this.#secret = secret;
  }

  seal(key: string, fingerprint: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#secret, iv);
    cipher.setAAD(Buffer.from(fingerprint));
    const ciphertext = Buffer.concat([cipher.update(key, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
  }

  /** The key, or undefined when the blob was sealed under another secret or tampered with. */
  open(sealed: Buffer, fingerprint: string): string | undefined {
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#secret, sealed.subarray(0, 12));
      decipher.setAAD(Buffer.from(fingerprint));
      decipher.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
