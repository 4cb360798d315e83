import { parseViewState, serializeViewState, type ViewState } from './url-state.ts';

export type Page = 'intro' | 'single' | 'compare' | 'difference' | 'ensemble';

/** The page a view state opens, and what to tell the user when the link asks for something that cannot be shown. */
export function pageOf(state: ViewState): { page: Page; problem: string | null } {
  if (state.compare.length >= 2) return { page: 'compare', problem: null };
  if (state.difference) return { page: 'difference', problem: null };
  if (state.ensemble && state.surface === null) return { page: 'ensemble', problem: null };
  const problem = state.compare.length === 1 ? 'A comparison needs 2 to 6 surfaces.' : null;
  return { page: state.surface === null ? 'intro' : 'single', problem };
}

/** Camera moves arrive every frame; the link follows once they pause. */
const CAMERA_URL_DELAY_MS = 300;

/**
 * The view state and the address bar: navigating pushes a history entry and reopens the page;
 * settings and camera only replace the current entry. Back and forward reopen the page too.
 */
export class Router {
  private current: ViewState = parseViewState(location.search);
  private urlTimer: number | undefined;

  constructor(private readonly opened: (state: ViewState) => void) {
    window.addEventListener('popstate', () => {
      this.current = parseViewState(location.search);
      this.opened(this.current);
    });
  }

  get state(): ViewState {
    return this.current;
  }

  /** A new page (surface, comparison or home): a history entry of its own. */
  navigate(changes: Partial<ViewState>): void {
    this.current = { ...this.current, ...changes };
    history.pushState(null, '', `/${serializeViewState(this.current)}`);
    this.opened(this.current);
  }

  /** Settings of the page shown: the link changes, the history does not grow. */
  replace(changes: Partial<ViewState>): void {
    this.current = { ...this.current, ...changes };
    this.writeUrl();
  }

  /** Like replace, with the address bar written once the changes pause (camera moves). */
  replaceSoon(changes: Partial<ViewState>): void {
    this.current = { ...this.current, ...changes };
    clearTimeout(this.urlTimer);
    this.urlTimer = window.setTimeout(() => this.writeUrl(), CAMERA_URL_DELAY_MS);
  }

  private writeUrl(): void {
    clearTimeout(this.urlTimer);
    history.replaceState(null, '', `/${serializeViewState(this.current)}`);
  }
}
