export * from './surface-metrics.ts';
export * from './hessian.ts';
export * from './gradient-flow.ts';
export * from './finding.ts';
export * from './difference.ts';
