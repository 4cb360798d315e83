import { api, needsSignIn } from './api.ts';
import { errorText } from './messages.ts';

/**
 * Signing in with an API key. Browsers cannot put a key in a header of an EventSource, so the key
 * goes to POST /api/v1/session once and comes back as an HttpOnly cookie every same-origin request
 * carries; the page then reloads to show what the key may see.
 */
export class SessionControls {
  private form: HTMLFormElement | null = null;

  /** `messages`: where the sign-in form appears; `status`: where "signed in as … · Sign out" goes. */
  constructor(
    private readonly messages: HTMLElement,
    private readonly status: HTMLElement,
  ) {}

  /** Shows who the viewer is signed in as, when by the cookie; a 401 here means no key yet. */
  async start(): Promise<void> {
    try {
      const who = await api.session();
      if (who.session) this.showSignedIn(who.tenant);
    } catch (error) {
      if (needsSignIn(error)) this.ask();
    }
  }

  /** Puts the sign-in form at the top of the message area (once). */
  ask(): void {
    if (this.form?.isConnected) return;
    const form = document.createElement('form');
    form.className = 'message sign-in';
    form.setAttribute('aria-label', 'Sign in');
    const label = Object.assign(document.createElement('label'), { htmlFor: 'sign-in-key', textContent: 'This server needs an API key:' });
    const key = Object.assign(document.createElement('input'), { id: 'sign-in-key', type: 'password', required: true, autocomplete: 'current-password', placeholder: 'la_…' });
    const submit = Object.assign(document.createElement('button'), { type: 'submit', textContent: 'Sign in' });
    const problem = Object.assign(document.createElement('span'), { className: 'sign-in-problem' });
    problem.setAttribute('role', 'alert');
    form.append(label, key, submit, problem);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      submit.disabled = true;
      api.signIn(key.value.trim()).then(
        () => location.reload(),
        (error: unknown) => {
          submit.disabled = false;
          problem.textContent = errorText(error);
          key.select();
        },
      );
    });
    this.form = form;
    this.messages.prepend(form);
    key.focus();
  }

  private showSignedIn(tenant: string): void {
    const signOut = Object.assign(document.createElement('button'), { type: 'button', className: 'link-button', textContent: 'Sign out' });
    signOut.addEventListener('click', () => void api.signOut().then(() => location.reload()));
    this.status.replaceChildren(Object.assign(document.createElement('span'), { textContent: `Signed in as ${tenant}` }), signOut);
    this.status.hidden = false;
  }
}
