import { uniformStream } from '../numeric/rng.ts';
import type { LinearOperator } from './hvp.ts';
import { KrylovBasis, extendProjection } from './krylov-basis.ts';
import { symmetricEigen } from './symmetric-eigen.ts';

/**
 * PyHessian's density(iter = 100, n_v = 1) and its Gaussian broadening σ² = 1e-5 at a spectral
 * range of 1, here scaled with the range (σ = √1e-5·range) so the density's shape does not
 * depend on the loss's units (PyHessian's σ² = 1e-5·max(1, range) makes it spikes for large λ).
 */
export const SPECTRAL_DENSITY_DEFAULTS = { steps: 100, vectors: 1, seed: 0, bins: 1000, relativeWidth: Math.sqrt(1e-5) } as const;
/** Margins of the grid beyond the outermost nodes, in σ: the Gaussians' mass outside is < 2e-9. */
const MARGIN_SIGMAS = 6;

export interface SpectralDensityOptions {
  /** Lanczos steps (operator products) per vector. Default 100. */
  steps?: number;
  /** Rademacher start vectors averaged. Default 1. */
  vectors?: number;
  /** Seed of their ±1 entries. Default 0. */
  seed?: number;
  /** Grid points. Default 1000. */
  bins?: number;
  /** Gaussian width σ as a fraction of the range of the nodes. Default √1e-5 ≈ 0.0032. */
  relativeWidth?: number;
}

export interface QuadratureRule {
  /** Ritz values of the vector's tridiagonal matrix (ascending). */
  nodes: number[];
  /** Squared first components of their eigenvectors; they sum to 1. */
  weights: number[];
  /** Products used (fewer than asked when the Krylov space became invariant: the rule is then exact). */
  steps: number;
}

/** Plain data for a JSON resource. */
export interface SpectralDensity {
  /** Evenly spaced eigenvalue axis. */
  grid: number[];
  /** Density on the grid; integrates to 1. */
  density: number[];
  /** Gaussian width used. */
  sigma: number;
  /** One Gauss quadrature rule per start vector. */
  quadrature: QuadratureRule[];
  products: number;
  steps: number;
  vectors: number;
  seed: number;
}

/** Lanczos (full reorthogonalization) from v for at most `steps` products: the Gauss quadrature rule of v's spectral measure. */
async function quadratureRule(apply: LinearOperator, v: Float32Array, steps: number): Promise<QuadratureRule> {
  const basis = new KrylovBasis(v.length);
  let next = Float64Array.from(v);
  let nextNorm = basis.orthogonalize(next).norm;
  const projected: number[][] = [];
  while (basis.size < steps && nextNorm > 0) {
    const w = Float64Array.from(await apply(basis.append(next, nextNorm)));
    const { coefficients, norm } = basis.orthogonalize(w);
    extendProjection(projected, coefficients);
    next = w;
    nextNorm = norm;
  }
  const { values, vectors } = symmetricEigen(projected);
  return { nodes: values, weights: vectors.map((s) => s[0]! * s[0]!), steps: basis.size };
}

/**
 * The spectral density of a symmetric operator by stochastic Lanczos quadrature (Lin, Saad & Yang
 * 2016; PyHessian's density): for each Rademacher vector v (0 where mask is 0), `steps` Lanczos
 * steps give nodes θ_i and weights w_i with Σ w_i·f(θ_i) ≈ vᵀf(A)v/‖v‖²; the density is the
 * average over vectors of Σ w_i·N(x; θ_i, σ²). Its mean is tr(A)/n and its second moment
 * tr(A²)/n + σ² in expectation (n: the entries in the mask).
 */
export async function spectralDensity(apply: LinearOperator, dimension: number, mask: Uint8Array | null, options: SpectralDensityOptions = {}): Promise<SpectralDensity> {
  const { steps, vectors, seed, bins, relativeWidth } = { ...SPECTRAL_DENSITY_DEFAULTS, ...options };
  for (const [name, value] of Object.entries({ steps, vectors, bins })) {
    if (!Number.isInteger(value) || value < (name === 'bins' ? 2 : 1)) throw new Error(`${name} must be a positive integer${name === 'bins' ? ' ≥ 2' : ''}, got ${value}`);
  }
  if (!(relativeWidth > 0)) throw new Error(`relativeWidth must be positive, got ${relativeWidth}`);
  const uniform = uniformStream(seed);
  const quadrature: QuadratureRule[] = [];
  for (let k = 0; k < vectors; k++) {
    const v = new Float32Array(dimension);
    for (let i = 0; i < dimension; i++) v[i] = mask && !mask[i] ? 0 : uniform() < 0.5 ? -1 : 1;
    quadrature.push(await quadratureRule(apply, v, steps));
  }
  const nodes = quadrature.flatMap((rule) => rule.nodes);
  const low = Math.min(...nodes);
  const high = Math.max(...nodes);
  // A single node (A = c·I) has no range: broaden relative to |c|, or to 1 for A = 0.
  const spread = high > low ? high - low : Math.max(Math.abs(low), 1);
  const sigma = relativeWidth * spread;
  const start = low - MARGIN_SIGMAS * sigma;
  const spacing = (high + MARGIN_SIGMAS * sigma - start) / (bins - 1);
  const grid = Array.from({ length: bins }, (_, j) => start + j * spacing);
  const normalization = 1 / (vectors * sigma * Math.sqrt(2 * Math.PI));
  const density = grid.map((x) => {
    let sum = 0;
    for (const rule of quadrature) {
      rule.nodes.forEach((theta, i) => {
        const z = (x - theta) / sigma;
        if (Math.abs(z) < 40) sum += rule.weights[i]! * Math.exp(-0.5 * z * z);
      });
    }
    return sum * normalization;
  });
  return { grid, density, sigma, quadrature, products: quadrature.reduce((s, r) => s + r.steps, 0), steps, vectors, seed };
}
