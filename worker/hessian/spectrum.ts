import type { SpectrumResult } from '../../contract/metrics/spectrum.ts';
import { hutchinsonTrace } from './hutchinson.ts';
import type { LinearOperator } from './hvp.ts';
import { spectralDensity } from './spectral-density.ts';
import { topEigenvalues } from './top-eigenvalues.ts';

export interface SpectrumSettings {
  seed: number;
  topK: number;
  tolerance: number;
  maxSteps: number;
  traceSamples: number;
  densitySteps: number;
  densityVectors: number;
  bins: number;
}

/** Each estimator draws its random vectors from its own seed, so changing one's settings leaves the others' numbers as they were. */
export function spectrumSeeds(seed: number) {
  return { topEigenvalues: seed, trace: seed + 1, density: seed + 2 };
}

/**
 * PyHessian's three results on one symmetric operator (the Hessian at a point, over `mask`):
 * top-k eigenvalues, Hutchinson trace and SLQ spectral density, one after the other.
 */
export async function hessianSpectrum(
  apply: LinearOperator,
  mask: Uint8Array,
  settings: SpectrumSettings,
): Promise<Pick<SpectrumResult, 'topEigenvalues' | 'trace' | 'density'> & { settings: SpectrumSettings & { seeds: ReturnType<typeof spectrumSeeds> } }> {
  const seeds = spectrumSeeds(settings.seed);
  const dimension = mask.length;
  const top = await topEigenvalues(apply, dimension, mask, { count: settings.topK, tolerance: settings.tolerance, maxSteps: settings.maxSteps, seed: seeds.topEigenvalues });
  const trace = await hutchinsonTrace(apply, dimension, mask, { samples: settings.traceSamples, seed: seeds.trace });
  const density = await spectralDensity(apply, dimension, mask, { steps: settings.densitySteps, vectors: settings.densityVectors, bins: settings.bins, seed: seeds.density });
  const { seed, topK, tolerance, maxSteps, traceSamples, densitySteps, densityVectors, bins } = settings;
  return {
    topEigenvalues: { eigenvalues: top.eigenvalues, residuals: top.residuals, converged: top.converged, products: top.products, restarts: top.restarts },
    trace: { trace: trace.trace, standardError: trace.standardError, products: trace.products },
    density: {
      grid: density.grid,
      density: density.density,
      sigma: density.sigma,
      nodes: density.quadrature.map((rule) => rule.nodes),
      weights: density.quadrature.map((rule) => rule.weights),
      products: density.products,
    },
    settings: { seed, topK, tolerance, maxSteps, traceSamples, densitySteps, densityVectors, bins, seeds },
  };
}
