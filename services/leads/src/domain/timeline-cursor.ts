import { ValidationError } from "@parley/errors";

/** Timeline pages are ordered by (occurred_at, id): events may arrive after later ones happened. */
export const TimelineCursor = {
  encode(entry: { occurredAt: Date; id: string }): string {
    return Buffer.from(`${entry.occurredAt.toISOString()}|${entry.id}`).toString("base64url");
  },
  decode(cursor: string): { occurredAt: Date; id: string } {
    const [iso, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
    const occurredAt = new Date(iso ?? "");
    if (!id || Number.isNaN(occurredAt.getTime()))
      throw new ValidationError("invalid cursor", [{ path: "cursor", message: "not a cursor from a previous page" }]);
    return { occurredAt, id };
  },
};
