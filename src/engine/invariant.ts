/**
 * A breach of what the engine holds true about money (escrow short, a posting that cannot be
 * paid from an account the engine reserved it in). It is a bug, never an operating error:
 * the engine stops instead of answering BUSY and serving on a state it can no longer trust.
 */
export class InvariantError extends Error {
  constructor(
    message: string,
    readonly context: Readonly<Record<string, unknown>>,
  ) {
    super(`invariant broken: ${message}`);
    this.name = "InvariantError";
  }
}

export function invariant(
  condition: boolean,
  message: string,
  context: Readonly<Record<string, unknown>> = {},
): asserts condition {
  if (!condition) throw new InvariantError(message, context);
}
