/**
 * The one error type for a problem the person who asked should hear about: a refused target, a step
 * that is not available yet, no permission, a roster that cannot be read. `code` says which, so code
 * can branch on it (as Bolt's coded errors do); `message` is written for that person and is shown as
 * it is. Anything else thrown is a fault: logged with a reference, never shown.
 */
export class CheckupError<Code extends string = string> extends Error {
  override name = 'CheckupError';

  constructor(
    readonly code: Code,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Codes of the problems a request itself can have, wherever it comes from. */
export type RequestErrorCode =
  /** The input cannot be used as given (a bad URL, an empty form); the answer shows how to use it. */
  | 'usage'
  /** A target the scan must not reach (a private address). */
  | 'refused'
  /** The person may not do this. */
  | 'forbidden'
  /** What the request points at is gone (an old button on a deleted rotation). */
  | 'not_found'
  /** Something else is in the way (a review is already open). */
  | 'conflict'
  /** An attached file or pasted roster that cannot be read. */
  | 'unreadable'
  /** The bot is stopping; try again later. */
  | 'unavailable';

export function isCheckupError<Code extends string>(
  error: unknown,
  code?: Code,
): error is CheckupError<Code> {
  return error instanceof CheckupError && (code === undefined || error.code === code);
}
