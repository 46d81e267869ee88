/** A Twilio Message SID: `SM` and 32 lowercase hex digits. */
const MESSAGE_SID = /^SM[0-9a-f]{32}$/;

/**
 * Returns the Message SID of a message id. Message ids are UUIDs, so the SID is `SM` and the
 * UUID's 32 hex digits without dashes, and `messageIdOf` maps it back.
 */
export function messageSid(messageId: string): string {
  return `SM${messageId.replaceAll('-', '').toLowerCase()}`;
}

/** Returns the message id of a Message SID, or undefined when `sid` is not one. */
export function messageIdOf(sid: string): string | undefined {
  if (!MESSAGE_SID.test(sid)) {
    return undefined;
  }
  const hex = sid.slice(2);
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20),
  ].join('-');
}
