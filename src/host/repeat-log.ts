/**
 * A model that keeps failing fails on every keystroke; logging each one buries the log. A message
 * is written once per window (a minute); the repeats in between are counted and the count goes
 * out with the message's next line.
 */
export class RepeatLimitedLog {
  private readonly seen = new Map<string, { shownAt: number; repeats: number }>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  report(message: string): void {
    const at = this.now();
    const entry = this.seen.get(message);
    if (entry && at - entry.shownAt < this.windowMs) {
      entry.repeats++;
      return;
    }
    const repeats = entry?.repeats ?? 0;
    this.write(repeats > 0 ? `${message} (${repeats} more time${repeats === 1 ? '' : 's'} since it was last logged)` : message);
    this.seen.delete(message);
    this.seen.set(message, { shownAt: at, repeats: 0 });
    // Distinct messages are few; the oldest go first if a stream of new ones comes.
    if (this.seen.size > 100) this.seen.delete(this.seen.keys().next().value!);
  }
}
