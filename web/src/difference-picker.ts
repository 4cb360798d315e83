import type { SurfaceRecord } from '../../contract/index.ts';
import { requestAxes } from '../../contract/surface.ts';
import { differenceMismatch, type DifferenceOperand } from '../../contract/metrics/difference.ts';
import { api } from './api.ts';
import { linspace } from './grid.ts';

function operand(record: SurfaceRecord): DifferenceOperand {
  const { x, y } = requestAxes(record.request);
  return { axes: { x: Array.from(linspace(x)), y: y ? Array.from(linspace(y)) : null }, provenance: record.provenance };
}

/** The finished surfaces L_current − L_other can be taken with: same grid, samples, loss and direction settings (differenceMismatch). */
export function differencePartners(current: SurfaceRecord, surfaces: readonly SurfaceRecord[]): SurfaceRecord[] {
  if (current.status !== 'completed') return [];
  const mine = operand(current);
  return surfaces.filter((other) => other.id !== current.id && other.status === 'completed' && differenceMismatch(mine, operand(other)) === null);
}

/**
 * The "Difference with…" control of the single view: shown when the surface on screen is finished
 * and another finished surface is compatible with it; choosing one opens the difference view.
 */
export class DifferencePicker {
  private current: SurfaceRecord | null = null;

  constructor(
    private readonly container: HTMLElement,
    private readonly select: HTMLSelectElement,
    private readonly events: { pick(a: string, b: string): void; error(error: unknown): void },
  ) {
    select.addEventListener('change', () => {
      if (this.current && select.value) this.events.pick(this.current.id, select.value);
    });
  }

  /** Offers the partners of `current` (null: nothing to offer). */
  async offer(current: SurfaceRecord | null): Promise<void> {
    this.current = current;
    this.container.hidden = true;
    if (!current || current.status !== 'completed') return;
    let partners: SurfaceRecord[];
    try {
      partners = differencePartners(current, await api.surfaces());
    } catch (error) {
      this.events.error(error);
      return;
    }
    if (this.current !== current || partners.length === 0) return;
    const prompt = Object.assign(document.createElement('option'), { value: '', textContent: 'choose a surface' });
    const options = partners.map((p) => Object.assign(document.createElement('option'), { value: p.id, textContent: `${p.name ?? p.request.model} (${p.id})` }));
    this.select.replaceChildren(prompt, ...options);
    this.container.hidden = false;
  }
}
