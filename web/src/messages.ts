import { ApiError, needsSignIn } from './api.ts';

/** What the message box says for an error: the API's message, the field it blames, its status and code. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return `${error.message}${error.field ? ` (field: ${error.field})` : ''}${error.status ? ` [${error.status} ${error.code}]` : ''}`;
  return error instanceof Error ? error.message : String(error);
}

/** How long a notice (not an error) stays before it leaves by itself. */
const NOTICE_MS = 4000;

/**
 * The message box above the views: errors are alerts that stay until dismissed; notices are status
 * lines that leave by themselves. An error a key would cure (401) asks for the key instead.
 */
export class Messages {
  constructor(
    private readonly container: HTMLElement,
    private readonly askForKey: () => void,
  ) {}

  error(error: unknown): void {
    if (needsSignIn(error)) this.askForKey();
    else this.show(errorText(error), 'alert');
  }

  notice(text: string): void {
    this.show(text, 'status');
  }

  clear(): void {
    this.container.replaceChildren();
  }

  private show(text: string, role: 'alert' | 'status'): void {
    const box = document.createElement('div');
    box.className = 'message';
    box.setAttribute('role', role);
    const body = Object.assign(document.createElement('span'), { textContent: text });
    const close = Object.assign(document.createElement('button'), { type: 'button', textContent: '×', title: 'Dismiss' });
    close.setAttribute('aria-label', 'Dismiss message');
    close.addEventListener('click', () => box.remove());
    box.append(body, close);
    this.container.append(box);
    if (role === 'status') setTimeout(() => box.remove(), NOTICE_MS);
  }
}
