import type { ComparisonMemberState, ComparisonRecord } from '../../../contract/comparisons.ts';
import type { GradientFlow } from '../../../contract/metrics/gradient-flow.ts';
import type { HessianSummary } from '../../../contract/metrics/hessian.ts';
import type { SurfaceMetrics } from '../../../contract/metrics/surface-metrics.ts';
import type { SurfaceResult } from '../../../contract/surface.ts';

/** One compared model as the report shows it. */
export interface ReportMember {
  label: string;
  /** pending | training | mapping | completed | failed */
  status: string;
  error: string | null;
  surfaceId: string | null;
  /** The finished surface when the comparison carries it; otherwise fetched by id. */
  surface: SurfaceResult | null;
  /** Metrics served with the comparison; computed from the surface when absent. */
  metrics: SurfaceMetrics | null;
  hessian: HessianSummary | null;
  /** Gradient flow at one or more parameter sets (e.g. initialisation, trained). */
  gradientFlow: GradientFlow[];
}

export interface ReportData {
  id: string;
  name: string;
  status: string;
  members: ReportMember[];
}

const isFlow = (f: unknown): f is GradientFlow => typeof f === 'object' && f !== null && Array.isArray((f as GradientFlow).layers);

/**
 * Gradient flows of a member: `gradientFlow` as GradientFlow[] or { <label>: GradientFlow }.
 * ComparisonMemberState does not declare it (yet), so it is read defensively.
 */
function flowsOf(member: ComparisonMemberState): GradientFlow[] {
  const value = (member as ComparisonMemberState & { gradientFlow?: unknown }).gradientFlow;
  if (Array.isArray(value)) return value.filter(isFlow);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).filter(([, f]) => isFlow(f)).map(([label, f]) => ({ ...(f as GradientFlow), label: (f as GradientFlow).label ?? label }));
  }
  return [];
}

/** The report's view of GET /api/v1/comparisons/{id} (ComparisonRecord). */
export function readComparison(record: ComparisonRecord): ReportData {
  return {
    id: record.id,
    name: record.name ?? `Comparison ${record.id}`,
    status: record.status,
    members: record.members.map((m) => ({
      label: m.label,
      status: m.status,
      error: m.error ? `${m.error.code}: ${m.error.message}` : null,
      surfaceId: m.surfaceId,
      surface: m.surface,
      metrics: m.metrics,
      hessian: null,
      gradientFlow: flowsOf(m),
    })),
  };
}

/** The gradient flow at initialisation if a member has one (label mentions init), else its first. */
export function initialFlow(m: ReportMember): GradientFlow | null {
  return m.gradientFlow.find((f) => /init/i.test(f.label)) ?? null;
}
