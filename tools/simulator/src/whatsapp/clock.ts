/**
 * WhatsApp's notion of now: real time plus whatever a test skipped ahead, so the 24-hour customer
 * service window can close within a test run.
 */
export class SimClock {
  private offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  reset(): void {
    this.offsetMs = 0;
  }
}
