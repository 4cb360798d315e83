/**
 * Bad input found while reading a user artifact (model, dataset, request). `field` names the
 * request field or file at fault; the API turns it into a 400 and workers into an
 * UnrecoverableError, so bad input is never retried.
 */
export class ContractError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'ContractError';
    this.field = field;
  }
}
