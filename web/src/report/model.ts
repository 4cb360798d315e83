import type { ComparisonRecord, MemberHessian } from '../../../contract/comparisons.ts';
import type { GradientFlow } from '../../../contract/metrics/gradient-flow.ts';
import type { HessianSummary } from '../../../contract/metrics/hessian.ts';
import type { SurfaceMetrics } from '../../../contract/metrics/surface-metrics.ts';
import type { SurfaceResult } from '../../../contract/surface.ts';
import type { ScaleOptions } from '../scale.ts';

/** The report's one loss scale: its contour maps and their shared color bar (ε keeps a zero loss on the log scale). */
export const REPORT_SCALE: ScaleOptions = { scale: 'log', epsilon: 0.1, clip: null };

/** One compared model as the report shows it. */
export interface ReportMember {
  label: string;
  /** pending | training | mapping | analysing | completed | failed */
  status: string;
  error: string | null;
  surfaceId: string | null;
  /** The model mapped (GET /api/v1/models/{id} has its recipe); null until an architecture member is trained. */
  modelId: string | null;
  /** The finished surface when the comparison carries it; otherwise fetched by id. */
  surface: SurfaceResult | null;
  /** Metrics served with the comparison; computed from the surface when absent. */
  metrics: SurfaceMetrics | null;
  hessian: HessianSummary | null;
  /** Where the member's Hessian map is: null when the comparison skips it. */
  hessianState: MemberHessian | null;
  /** Gradient flow at one or more parameter sets (e.g. initialisation, trained). */
  gradientFlow: GradientFlow[];
  /** The flows left out, with why (none recorded in comparisons stored before). */
  gradientFlowOmitted: { label: string; reason: string }[];
}

export interface ReportData {
  id: string;
  name: string;
  status: string;
  members: ReportMember[];
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
      modelId: m.modelId,
      surface: m.surface,
      metrics: m.metrics,
      hessian: m.hessian?.summary ?? null,
      hessianState: m.hessian,
      gradientFlow: m.gradientFlow,
      gradientFlowOmitted: m.gradientFlowOmitted ?? [],
    })),
  };
}

/** The gradient flow at initialisation if a member has one (label mentions init), else its first. */
export function initialFlow(m: ReportMember): GradientFlow | null {
  return m.gradientFlow.find((f) => /init/i.test(f.label)) ?? null;
}

/** One line per member whose gradient flows were left out: which, and why. */
export function omittedFlows(members: ReportMember[]): string[] {
  return members.filter((m) => m.gradientFlowOmitted.length > 0).map((m) => `${m.label}: ${m.gradientFlowOmitted.map((o) => `${o.label} left out (${o.reason})`).join('; ')}`);
}
