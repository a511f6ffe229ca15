/** What every engine call receives from the transport: cancellation and deadline. */
export interface CallContext {
  /** Aborted when the client cancels, the deadline passes or the server shuts down. */
  readonly signal: AbortSignal;
  /** The absolute deadline in ms since the epoch, when the caller set one. */
  readonly deadlineMs?: number;
}
