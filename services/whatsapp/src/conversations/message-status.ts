// Delivery statuses only move forward: providers send callbacks out of order and retry them late.
export type MessageStatus = "received" | "pending" | "sending" | "queued" | "sent" | "delivered" | "read" | "failed";

const RANK: Record<MessageStatus, number> = { received: 0, pending: 0, sending: 1, queued: 2, sent: 3, failed: 4, delivered: 5, read: 6 };

export const statusRank = (status: MessageStatus): number => RANK[status];

/**
 * Whether an update may replace the current status. A failure can follow queued or sent (Twilio's
 * 63016 arrives after the message was accepted) but never undoes a delivery.
 */
export function movesForward(current: MessageStatus, next: MessageStatus): boolean {
  return RANK[next] > RANK[current];
}
