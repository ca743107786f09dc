// AES-256-GCM for secrets at rest (provider credentials). Keys come from env as a keyring so they
// can be rotated: the first key seals, every listed key opens what it sealed.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const VERSION = "v1";

export class KeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyringError";
  }
}

/** A sealed value names a key this keyring no longer has, or fails authentication (tampered, or moved). */
export class UnsealError extends Error {
  constructor(
    message: string,
    readonly keyId?: string,
  ) {
    super(message);
    this.name = "UnsealError";
  }
}

export class Keyring {
  private constructor(
    private readonly keys: Map<string, Buffer>,
    readonly activeKeyId: string,
  ) {}

  /**
   * `PARLEY_ENCRYPTION_KEYS`: comma-separated `<id>:<base64 of 32 bytes>`, the first one active,
   * e.g. `k2:…,k1:…` while k1's secrets are being re-sealed under k2.
   */
  static parse(value: string | undefined): Keyring {
    if (!value?.trim()) throw new KeyringError("no encryption keys: set PARLEY_ENCRYPTION_KEYS to <id>:<base64 32-byte key>[,<id>:<key>…]");
    const keys = new Map<string, Buffer>();
    for (const entry of value.split(",").map((s) => s.trim()).filter(Boolean)) {
      const match = /^([A-Za-z0-9_-]{1,32}):(.+)$/.exec(entry);
      if (!match) throw new KeyringError(`encryption key entry "${entry.slice(0, 8)}…" is not <id>:<base64 key>`);
      const [, id, encoded] = match as unknown as [string, string, string];
      const key = Buffer.from(encoded, "base64");
      if (key.length !== 32) throw new KeyringError(`encryption key ${id} must be 32 bytes (base64), got ${key.length}`);
      if (keys.has(id)) throw new KeyringError(`encryption key id ${id} is listed twice`);
      keys.set(id, key);
    }
    return new Keyring(keys, keys.keys().next().value!);
  }

  static generateEntry(id = "k1"): string {
    return `${id}:${randomBytes(32).toString("base64")}`;
  }

  /**
   * Seals `plaintext`, bound to `context` (e.g. `workspace/kind`): a sealed value copied to another
   * workspace or kind fails to open.
   */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.keys.get(this.activeKeyId)!, iv);
    cipher.setAAD(Buffer.from(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return [VERSION, this.activeKeyId, iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), ciphertext.toString("base64url")].join(".");
  }

  open(sealed: string, context: string): string {
    const [version, keyId, iv, tag, ciphertext] = sealed.split(".");
    if (version !== VERSION || !keyId || !iv || !tag || ciphertext === undefined) throw new UnsealError("not a sealed value");
    const key = this.keys.get(keyId);
    if (!key) throw new UnsealError(`sealed with key ${keyId}, which is not in PARLEY_ENCRYPTION_KEYS`, keyId);
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
    } catch {
      throw new UnsealError("sealed value failed authentication (tampered, or sealed for another context)", keyId);
    }
  }

  /** The key a sealed value was sealed with, to find what needs re-sealing after a rotation. */
  static keyIdOf(sealed: string): string | undefined {
    return sealed.split(".")[1];
  }
}
