// Passes an upload on in numbered chunks of 256 KB, counting and hashing as the bytes arrive: the
// gateway never holds more than about one chunk of the file.
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { DependencyUnavailableError } from "@parley/errors";

export const CHUNK_BYTES = 256 * 1024;
const SEND_ATTEMPTS = 3;

export class UploadTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The file is larger than ${maxBytes} bytes.`);
    this.name = "UploadTooLargeError";
  }
}

/** The client's side of the upload broke (cut off, a malformed form): its error, not the gateway's. */
export class UploadBrokenError extends Error {
  constructor(reason: string) {
    super(`The upload could not be read: ${reason}.`);
    this.name = "UploadBrokenError";
  }
}

async function* clientBytes(file: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* file;
  } catch (err) {
    throw new UploadBrokenError((err as Error).message);
  }
}

export interface StagedUpload {
  chunks: number;
  bytes: number;
  /** SHA-256 of the file's bytes. */
  digest: string;
}

/** A chunk is stored once per seq, so sending it again after a lost answer is safe. */
async function sendWithRetry(send: (seq: number, data: Buffer) => Promise<void>, seq: number, data: Buffer): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send(seq, data);
    } catch (err) {
      if (!(err instanceof DependencyUnavailableError) || attempt === SEND_ATTEMPTS) throw err;
      await sleep(100 * attempt);
    }
  }
}

export async function stageUpload(file: AsyncIterable<Buffer>, maxBytes: number, send: (seq: number, data: Buffer) => Promise<void>): Promise<StagedUpload> {
  const hash = createHash("sha256");
  let bytes = 0;
  let seq = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const piece of clientBytes(file)) {
    bytes += piece.length;
    if (bytes > maxBytes) throw new UploadTooLargeError(maxBytes);
    hash.update(piece);
    pending.push(piece);
    pendingBytes += piece.length;
    while (pendingBytes >= CHUNK_BYTES) {
      const joined = Buffer.concat(pending);
      await sendWithRetry(send, seq++, joined.subarray(0, CHUNK_BYTES));
      const rest = joined.subarray(CHUNK_BYTES);
      pending = rest.length ? [rest] : [];
      pendingBytes = rest.length;
    }
  }
  if (pendingBytes) await sendWithRetry(send, seq++, Buffer.concat(pending));
  return { chunks: seq, bytes, digest: hash.digest("hex") };
}
