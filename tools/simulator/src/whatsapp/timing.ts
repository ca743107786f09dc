import { setMaxListeners } from "node:events";
import { setTimeout as wait } from "node:timers/promises";

export const between = ([min, max]: [number, number]) => min + Math.floor(Math.random() * Math.max(0, max - min + 1));

/** Waits `ms`; false when the simulator was reset meanwhile, so whatever was scheduled stops there. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return wait(ms, undefined, { signal }).then(
    () => true,
    () => false,
  );
}

/**
 * An AbortController whose signal every pending status walk and webhook retry listens to: a
 * broadcast has a thousand at once, which is expected, not the leak Node warns about past ten.
 */
export function endless(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
