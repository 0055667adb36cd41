/**
 * Encryption at rest for provider keys and header values: AES-256-GCM with a key derived from
 * FASTNPC_SECRET by HKDF-SHA256, so a copy of the database alone reveals no key. The `purpose`
 * is bound as additional data: a provider's key pasted into a user-key row does not decrypt.
 * Format: `v1.<iv>.<tag>.<ciphertext>` (base64url). Changing FASTNPC_SECRET makes stored keys
 * unreadable; they must be entered again (decryption fails loudly, never returns garbage).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export interface SecretBox {
  seal(plain: string, purpose: string): string;
  open(sealed: string, purpose: string): string;
}

export function createSecretBox(secret: string): SecretBox {
  const key = Buffer.from(hkdfSync('sha256', secret, 'fastnpc', 'fastnpc llm provider keys v1', 32));
  return {
    seal(plain, purpose) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(purpose));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    },
    open(sealed, purpose) {
      const [v, iv, tag, body] = sealed.split('.');
      if (v !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed secret');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(purpose));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

/** What the API shows of a key: its last four characters. */
export function keyHint(key: string): string {
  return key.length <= 8 ? '••••' : `••••${key.slice(-4)}`;
}
