// Engine message ids: unique per message, and where its lines stand among its publisher's lines of the app.

/** The header carrying the message id as readers see it (`messageId`): its publisher and first line number. */
export const MESSAGE_HEADER = 'Sluice-Msg';

/**
 * `<node>.<start>.<message>.<first line>` (base 36): unique per message, and the number of the
 * message's first line among its app's lines from this publisher, so a reader sees lines that
 * never reached it (lost here, or discarded by the stream's limits) as a gap.
 */
export function messageId(prefix: string, message: number, firstLine: number): string {
  return `${prefix}${message.toString(36)}.${firstLine.toString(36)}`;
}

/** The publisher (`<node>.<start>`) and first line number of a message id made by `messageId`. */
export function parseMessageId(id: string | undefined): { publisher: string; firstLine: number } | undefined {
  if (!id) return undefined;
  const parts = id.split('.');
  if (parts.length < 4) return undefined;
  const firstLine = Number.parseInt(parts[parts.length - 1], 36);
  if (!Number.isSafeInteger(firstLine) || firstLine < 0) return undefined;
  return { publisher: parts.slice(0, -2).join('.'), firstLine };
}
