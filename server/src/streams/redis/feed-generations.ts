/**
 * Which collections' Redis feeds are settling (docs/adr/0012 §8): after
 * Redis lost a feed, writes in flight across the loss hold revisions of the
 * lost generation; their resolve finds nothing pending and publishes nothing,
 * yet their documents may still land for up to SB_FEED_PENDING_AFTER_MS
 * (the longest write). A client that read meanwhile and then watched would
 * miss them, so until then Watch answers FEED_RECOVERING and reads report
 * read_revision 0.
 *
 * A process knows a feed was lost when it sees a collection's generation
 * (fm.born, µs) change from one it saw before (or vanish), or when the
 * coordinator reports a loss of Redis's data (every collection at once). A
 * collection first seen by this process is not settling: a brand-new
 * collection would otherwise be unwatchable for its first 30 s.
 */

/** Generations seen and settling deadlines, per collection. */
export class FeedGenerations {
  private readonly born = new Map<string, number>();
  private readonly until = new Map<string, number>();
  private lossUntil = 0;

  /** `settleMs`: how long a new generation settles (SB_FEED_PENDING_AFTER_MS). */
  constructor(
    private readonly settleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Notes the generation `born` (µs; 0: the collection has no feed now) seen for `collection`. */
  note(collection: string, born: number): void {
    const before = this.born.get(collection);
    if (before === born) return;
    this.born.set(collection, born);
    if (before === undefined) return; // first sight: nothing to compare with
    if (born === 0)
      this.settleUntil(collection, this.now() + this.settleMs); // lost; its next generation is not born yet
    else if (before !== 0 || this.settlingMs(collection) > 0) this.settleUntil(collection, born / 1000 + this.settleMs);
    // 0 → born without a loss seen: the collection's first write
  }

  /** The coordinator saw Redis lose its data: every collection settles from now. */
  noteLoss(): void {
    this.lossUntil = Math.max(this.lossUntil, this.now() + this.settleMs);
  }

  /** Milliseconds until `collection`'s feed has settled; 0 when it has. */
  settlingMs(collection: string): number {
    return Math.max(0, Math.ceil(Math.max(this.lossUntil, this.until.get(collection) ?? 0) - this.now()));
  }

  private settleUntil(collection: string, at: number): void {
    this.until.set(collection, Math.max(this.until.get(collection) ?? 0, at));
  }
}
