/** At most `limit` sends per business number in any rolling second, like Meta's throughput cap. */
export class RollingRateLimit {
  private readonly recent = new Map<string, number[]>();

  /** True, and the send takes a slot, when it fits; a send refused here takes none. */
  admit(sender: string, now: number, limit: number): boolean {
    const inLastSecond = (this.recent.get(sender) ?? []).filter((at) => at > now - 1000);
    const admitted = inLastSecond.length < limit;
    if (admitted) inLastSecond.push(now);
    this.recent.set(sender, inLastSecond);
    return admitted;
  }

  reset(): void {
    this.recent.clear();
  }
}
