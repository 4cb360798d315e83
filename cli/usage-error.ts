/** Bad command-line input: the message names the flag; exit code 2. */
export class UsageError extends Error {
  constructor(flag: string, message: string) {
    super(`${flag}: ${message}`);
    this.name = 'UsageError';
  }
}
