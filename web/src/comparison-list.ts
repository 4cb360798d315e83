import type { ComparisonMemberState, ComparisonRecord, ComparisonStatus, MemberStatus } from '../../contract/comparisons.ts';
import { api } from './api.ts';
import { DEFAULT_VIEW_STATE, MAX_COMPARE, serializeViewState } from './url-state.ts';

/** The fields of a listed comparison (GET /api/v1/comparisons) that the list shows. */
export type ComparisonSummary = Pick<ComparisonRecord, 'id' | 'name' | 'status'> & {
  members: Pick<ComparisonMemberState, 'label' | 'status' | 'surfaceId'>[];
};

export interface ComparisonListItem {
  id: string;
  title: string;
  status: ComparisonStatus;
  /** status is null where it would only repeat "completed": shown while the comparison runs, and for failed members. */
  members: { label: string; status: MemberStatus | null }[];
  reportHref: string;
  /** Surfaces the 3D compare view opens; empty when fewer than 2 members have one. */
  compareIds: string[];
  compareHref: string | null;
}

/** The surfaces of a comparison the 3D compare view can open: the first 6 members that have one, or none when fewer than 2 do. */
export function compareSurfaceIds(members: readonly { surfaceId: string | null }[]): string[] {
  const ids = members.flatMap((member) => (member.surfaceId ? [member.surfaceId] : [])).slice(0, MAX_COMPARE);
  return ids.length >= 2 ? ids : [];
}

/**
 * The viewer's query string that opens these surfaces in the 3D compare view, on a log loss scale
 * as the report draws them: compared nets' losses span orders of magnitude (the ResNet demo's 0.19
 * to 1.5e7), and on a linear scale all but the sharpest look flat.
 */
export const compareQuery = (surfaceIds: readonly string[]) => serializeViewState({ ...DEFAULT_VIEW_STATE, compare: [...surfaceIds], scale: 'log' });

export function comparisonListItems(comparisons: readonly ComparisonSummary[]): ComparisonListItem[] {
  return comparisons.map((comparison) => {
    const compareIds = compareSurfaceIds(comparison.members);
    return {
      id: comparison.id,
      title: comparison.name ?? `Comparison ${comparison.id.slice(0, 8)}`,
      status: comparison.status,
      members: comparison.members.map((member) => ({
        label: member.label,
        status: comparison.status === 'running' || member.status === 'failed' ? member.status : null,
      })),
      reportHref: `report.html?id=${encodeURIComponent(comparison.id)}`,
      compareIds,
      compareHref: compareIds.length > 0 ? `/${compareQuery(compareIds)}` : null,
    };
  });
}

const isPlainClick = (event: MouseEvent) => event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;

/** The sidebar's comparisons panel: each comparison with links to its report and to its surfaces in 3D. */
export class ComparisonList {
  /** Only the newest refresh may draw: an older answer arriving late would show a stale list. */
  private latestRefresh = 0;

  constructor(
    private readonly container: HTMLElement,
    /** Opens the compare view in place, keeping the viewer's settings; the link still works in a new tab. */
    private readonly openCompare: (surfaceIds: string[]) => void,
  ) {}

  async refresh(): Promise<void> {
    const refresh = ++this.latestRefresh;
    const comparisons = await api.comparisons();
    if (refresh !== this.latestRefresh) return;
    const items = comparisonListItems(comparisons);
    if (items.length === 0) {
      this.container.textContent = 'No comparisons yet.';
      return;
    }
    const list = document.createElement('ul');
    // WebKit drops the list semantics of a list styled without bullets unless the role is explicit.
    list.setAttribute('role', 'list');
    list.append(...items.map((item) => this.renderItem(item)));
    this.container.replaceChildren(list);
  }

  private renderItem(item: ComparisonListItem): HTMLLIElement {
    const entry = document.createElement('li');
    entry.className = 'comparison-item';
    entry.dataset.comparisonId = item.id;
    const title = Object.assign(document.createElement('span'), { className: 'comparison-title', textContent: item.title });
    const status = Object.assign(document.createElement('span'), { className: `status status-${item.status}`, textContent: item.status });
    const members = Object.assign(document.createElement('span'), { className: 'comparison-members' });
    members.append(
      ...item.members.flatMap((member, index) => {
        const label = Object.assign(document.createElement('span'), { textContent: member.label });
        if (member.status) label.append(' ', Object.assign(document.createElement('span'), { className: `status status-${member.status}`, textContent: member.status }));
        return index === 0 ? [label] : [' · ', label];
      }),
    );
    const links = Object.assign(document.createElement('span'), { className: 'comparison-links' });
    const report = Object.assign(document.createElement('a'), { href: item.reportHref, textContent: 'Report' });
    report.setAttribute('aria-label', `Report: ${item.title}`);
    links.append(report);
    if (item.compareHref) {
      const open3d = Object.assign(document.createElement('a'), { href: item.compareHref, textContent: '3D' });
      open3d.setAttribute('aria-label', `3D compare view: ${item.title}`);
      open3d.addEventListener('click', (event) => {
        if (!isPlainClick(event)) return;
        event.preventDefault();
        this.openCompare(item.compareIds);
      });
      links.append(open3d);
    }
    entry.append(title, status, members, links);
    return entry;
  }
}
