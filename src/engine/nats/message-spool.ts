// What the batcher needs of a disk spool for engine messages (cluster/engine-spool.ts is the one on files).

/** One spooled message, in write order. */
export interface SpooledMessage {
  appId: string;
  /** The message id it is published under, the first time and every time after. */
  id: string;
  lines: number;
  /** The batcher's input count when it was written: every line added before is in it or earlier. */
  mark: number;
  done: boolean;
  sending: boolean;
}

/** A FIFO of engine messages on disk: appended while the engine is away, published oldest first. */
export interface MessageSpool {
  readonly size: number;
  readonly lines: number;
  readonly bytes: number;
  /** Lines a previous run left unreadable (counted as dropped). */
  readonly lostAtOpen: number;
  /** Undefined when the byte budget (or the disk) has no room. */
  append(appId: string, id: string, data: Uint8Array, lines: number, mark: number): SpooledMessage | undefined;
  next(n: number): SpooledMessage[];
  /** Lines of the message's app waiting after it. */
  newerLines(m: SpooledMessage): number;
  data(m: SpooledMessage): Promise<Uint8Array | undefined>;
  of(appId: string): SpooledMessage[];
  /** Returns the mark reached when the oldest messages are all done. */
  release(m: SpooledMessage): number | undefined;
  forget(appId: string): void;
  sync(): Promise<void>;
  close(): void;
}
