/** Something a server closes at shutdown (main.ts keeps the list; each compose step adds its own). */
export interface Closer {
  /** What it is, for the shutdown log. */
  readonly name: string;
  close(): Promise<void>;
}
