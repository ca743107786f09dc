import { z } from "zod";
import { Keyring, KeyringError } from "@parley/crypto";

/** The env field of a service that seals credentials: parsed at start-up, so a bad key stops the boot. */
export const encryptionKeysEnv = z.string({ error: "is required: <id>:<base64 of 32 random bytes>[,…] (the first key encrypts)" }).transform((value, ctx) => {
  try {
    return Keyring.parse(value);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: err instanceof KeyringError ? err.message : String(err) });
    return z.NEVER;
  }
});
