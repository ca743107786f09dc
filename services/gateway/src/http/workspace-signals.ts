// Tells a live view (a campaign's SSE stream) that something happened in a workspace's voice
// domain, so it reads at once instead of on its next poll. Plain NATS subscriptions on the event
// subjects: nothing durable is needed, the poll covers anything missed.
import { withPrefix, type Bus } from "@parley/bus";

export type WorkspaceSignals = (workspaceId: string, onSignal: () => void) => () => void;

export function natsWorkspaceSignals(nc: Bus["nc"], prefix: string): WorkspaceSignals {
  return (workspaceId, onSignal) => {
    const subscription = nc.subscribe(withPrefix(`voice.*.${workspaceId}`, prefix), {
      callback: (err) => {
        if (!err) onSignal();
      },
    });
    return () => subscription.unsubscribe();
  };
}
