import { JetStreamApiError, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from "@nats-io/jetstream";
import { EVENT_DOMAINS, WEBHOOKS_DOMAIN, streamName, withPrefix, type StreamDomain } from "./subjects";

const DAY_NS = 24 * 60 * 60 * 1e9;
const STREAM_NOT_FOUND = 10059;
const STREAM_NAME_IN_USE = 10058;

export function streamConfig(domain: StreamDomain, prefix: string): Partial<StreamConfig> & { name: string; subjects: string[] } {
  return {
    name: streamName(domain, prefix),
    subjects: [withPrefix(`${domain}.>`, prefix)],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    // Long enough for a consumer that was down over a weekend to catch up; the databases are the record.
    max_age: 7 * DAY_NS,
    // Nats-Msg-Id de-duplication window: covers a relay that crashed between publish and mark.
    duplicate_window: 10 * 60 * 1e9,
    num_replicas: 1,
  };
}

/**
 * Creates or updates every Parley stream. Safe to run from every replica at start-up: a stream
 * created concurrently by another replica is not an error.
 */
export async function ensureStreams(jsm: JetStreamManager, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for (const domain of [...EVENT_DOMAINS, WEBHOOKS_DOMAIN] as const) {
    const config = streamConfig(domain, prefix);
    names.push(config.name);
    try {
      const info = await jsm.streams.info(config.name);
      const same = info.config.subjects.join() === config.subjects.join() && info.config.max_age === config.max_age && info.config.duplicate_window === config.duplicate_window;
      if (!same) await jsm.streams.update(config.name, { subjects: config.subjects, max_age: config.max_age, duplicate_window: config.duplicate_window });
    } catch (err) {
      if (!(err instanceof JetStreamApiError) || err.code !== STREAM_NOT_FOUND) throw err;
      try {
        await jsm.streams.add(config);
      } catch (addErr) {
        if (!(addErr instanceof JetStreamApiError) || addErr.code !== STREAM_NAME_IN_USE) throw addErr;
      }
    }
  }
  return names;
}

/** Removes a prefix's streams: test clean-up. */
export async function deleteStreams(jsm: JetStreamManager, prefix: string): Promise<void> {
  for (const domain of [...EVENT_DOMAINS, WEBHOOKS_DOMAIN] as const) {
    await jsm.streams.delete(streamName(domain, prefix)).catch(() => undefined);
  }
}
