import { randomBytes, randomInt } from "node:crypto";

/** Twilio resource ids: a two-letter type prefix and 32 hex digits (SM… messages, HX… content templates). */
export const twilioSid = (prefix: "SM" | "HX") => prefix + randomBytes(16).toString("hex");

/** Meta message ids are opaque base64 after `wamid.`. */
export const wamid = () => `wamid.${randomBytes(30).toString("base64")}`;

/** Graph object ids are decimal strings; 15 digits, within what randomInt can draw. */
export const graphId = () => String(randomInt(10 ** 14, 2 ** 48));

export const fbtraceId = () => randomBytes(8).toString("base64url");
