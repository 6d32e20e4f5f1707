/** A value the target cannot hold; carries the column and reason so the run can stop or reject the row. */
export class ValueEncodeError extends Error {
  constructor(readonly column: string, readonly reason: string) {
    super(`column "${column}": ${reason}`);
    this.name = 'ValueEncodeError';
  }
}
