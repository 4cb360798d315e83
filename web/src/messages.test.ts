import { describe, expect, it } from 'vitest';
import { ApiError } from './api.ts';
import { errorText } from './messages.ts';

describe('errorText', () => {
  it('names the field, status and code of an API error', () => {
    expect(errorText(new ApiError(400, 'VALIDATION', 'samples must be ≥ 1', 'dataset.samples'))).toBe('samples must be ≥ 1 (field: dataset.samples) [400 VALIDATION]');
  });

  it('leaves out what an API error does not have (no field; status 0 when the server did not answer)', () => {
    expect(errorText(new ApiError(0, 'NETWORK', 'The server did not answer', null))).toBe('The server did not answer');
  });

  it('shows the message of any other error, and anything else as text', () => {
    expect(errorText(new Error('boom'))).toBe('boom');
    expect(errorText('plain')).toBe('plain');
  });
});
