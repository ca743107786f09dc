import { randomBytes } from "node:crypto";

// Crockford base32: ids sort by creation time as plain strings, which is what cursor pages rely on.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

function encodeTime(ms: number): string {
  let out = "";
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

function encodeRandom(length: number): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const b of bytes) out += ALPHABET[b % 32];
  return out;
}

let lastMs = 0;
let lastRandom = "";

/** `<prefix>_<10 time chars><16 random chars>`; monotonic within a process even inside one millisecond. */
export function newId(prefix: string, now = Date.now()): string {
  if (now <= lastMs) {
    lastRandom = increment(lastRandom);
    return `${prefix}_${encodeTime(lastMs)}${lastRandom}`;
  }
  lastMs = now;
  lastRandom = encodeRandom(16);
  return `${prefix}_${encodeTime(now)}${lastRandom}`;
}

function increment(value: string): string {
  const chars = value.split("");
  for (let i = chars.length - 1; i >= 0; i--) {
    const idx = ALPHABET.indexOf(chars[i]!);
    if (idx < 31) {
      chars[i] = ALPHABET[idx + 1]!;
      return chars.join("");
    }
    chars[i] = ALPHABET[0]!;
  }
  return encodeRandom(16);
}

export function hasPrefix(id: string, prefix: string): boolean {
  return id.startsWith(`${prefix}_`) && id.length === prefix.length + 27;
}

/** Opaque page cursors: the last id of a page, base64url-encoded so clients don't build them. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): string | undefined {
  if (!cursor) return undefined;
  const decoded = Buffer.from(cursor, "base64url").toString("utf8");
  return /^[a-z]+_[0-9a-z]{26}$/.test(decoded) ? decoded : undefined;
}
