/**
 * Lets provider calls through one at a time, never two closer than the gap, measured at the moment
 * each is let through. Spacing the start of each send is not enough: the reads and the consent
 * check before the provider call take uneven time under load, and sends that started evenly would
 * reach the provider bunched, above its rate.
 */
export class EgressSpacing {
  private last = 0;
  private tail: Promise<void> = Promise.resolve();

  through(gapMs: number): Promise<void> {
    const turn = this.tail.then(async () => {
      const wait = this.last + gapMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      this.last = Date.now();
    });
    this.tail = turn;
    return turn;
  }
}
