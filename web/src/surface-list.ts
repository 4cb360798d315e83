import type { SurfaceRecord } from '../../contract/index.ts';
import { recordAxes } from './grid.ts';
import { api } from './api.ts';
import { MAX_COMPARE } from './url-state.ts';

export interface SurfaceListItem {
  id: string;
  /** Name (or model) and grid size, e.g. "demo-cnn-skip · 21×21" or "… · 1D 21". */
  label: string;
  /**
   * What tells two rows of one model apart: model (when the label is a name), data and samples,
   * directions (kind or seed), and when it was created, e.g. "mnist test · 500 samples · seed 0 · 12-06 19:22".
   */
  detail: string;
  status: SurfaceRecord['status'];
  /** Only finished surfaces can be ticked for the compare view. */
  comparable: boolean;
}

/** "MM-DD HH:MM" in local time: short, and enough to order a session's surfaces. */
export function shortTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}`;
}

export function surfaceListItems(surfaces: readonly SurfaceRecord[]): SurfaceListItem[] {
  return surfaces.map((surface) => {
    const { x, y } = recordAxes(surface);
    const grid = y ? `${x.num}×${y.num}` : `1D ${x.num}`;
    const { dataset, directions } = surface.provenance;
    const model = surface.name ? surface.request.model : null;
    const detail = [
      model,
      `${dataset.id} ${dataset.split}`,
      `${dataset.samples} samples`,
      directions.kind ?? `seed ${directions.seed}`,
      shortTime(surface.timings.createdAt),
    ].filter((part) => part);
    return { id: surface.id, label: `${surface.name ?? surface.request.model} · ${grid}`, detail: detail.join(' · '), status: surface.status, comparable: surface.status === 'completed' };
  });
}

/** The "Compare selected" button for a number of ticked surfaces: enabled for 2 to MAX_COMPARE. */
export function compareButton(count: number): { disabled: boolean; textContent: string } {
  return { disabled: count < 2 || count > MAX_COMPARE, textContent: `Compare selected (${count})` };
}

/**
 * The sidebar's surfaces panel: every surface with a button that opens it and a tick box that
 * selects it for the compare view; the surface shown is highlighted.
 */
export class SurfaceList {
  private readonly selection = new Set<string>();
  private current: string | null = null;

  constructor(
    private readonly container: HTMLElement,
    private readonly compareSelected: HTMLButtonElement,
    private readonly events: { open(id: string): void; compare(ids: string[]): void; error(error: unknown): void },
  ) {
    compareSelected.addEventListener('click', () => this.events.compare([...this.selection]));
  }

  async refresh(): Promise<void> {
    let surfaces: SurfaceRecord[];
    try {
      surfaces = await api.surfaces();
    } catch (error) {
      this.events.error(error);
      return;
    }
    if (surfaces.length === 0) {
      this.container.textContent = 'No surfaces yet.';
      return;
    }
    this.container.replaceChildren(...surfaceListItems(surfaces).map((item) => this.renderItem(item)));
    this.updateCompareButton();
    this.highlight(this.current);
  }

  /** Marks the surface shown in the single view (null: none). */
  highlight(id: string | null): void {
    this.current = id;
    for (const item of this.container.querySelectorAll<HTMLElement>('.surface-item')) item.classList.toggle('current', item.dataset.surfaceId === id);
  }

  private renderItem(item: SurfaceListItem): HTMLElement {
    const entry = document.createElement('div');
    entry.className = 'surface-item';
    entry.dataset.surfaceId = item.id;
    const tick = Object.assign(document.createElement('input'), { type: 'checkbox', checked: this.selection.has(item.id), disabled: !item.comparable });
    tick.setAttribute('aria-label', `Compare ${item.label}`);
    tick.addEventListener('change', () => {
      if (tick.checked) this.selection.add(item.id);
      else this.selection.delete(item.id);
      this.updateCompareButton();
    });
    const open = Object.assign(document.createElement('button'), { type: 'button', title: `Open ${item.id}` });
    open.append(
      Object.assign(document.createElement('span'), { className: 'surface-label', textContent: item.label }),
      Object.assign(document.createElement('span'), { className: 'surface-detail', textContent: item.detail }),
    );
    open.addEventListener('click', () => this.events.open(item.id));
    const status = Object.assign(document.createElement('span'), { className: `status status-${item.status}`, textContent: item.status });
    entry.append(tick, open, status);
    return entry;
  }

  private updateCompareButton(): void {
    Object.assign(this.compareSelected, compareButton(this.selection.size));
  }
}
