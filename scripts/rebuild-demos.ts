/**
 * `npm run demos`: re-creates the committed demo comparisons end to end with one command: trains
 * every demo model that has no model-info.json (scripts/train-zoo-demo.ts) in parallel lanes, one
 * onnxruntime thread each, then exports every demo that has no comparison.json
 * (scripts/export-demo-comparison.ts) side by side on one stack, and prints how long each part took.
 *
 *   npm run demos -- [--demos id,id] [--fresh] [--lanes N] [--url http://127.0.0.1:8080]
 *
 * Without --url it starts its own stack (scripts/start.ts: API and one worker per core) on --port
 * (default 8095), Redis namespace `demo-rebuild`, data under data/demo-rebuild, once the training is
 * done (the API registers models at boot), and stops it at the end. Resuming: a trained model and an
 * exported demo are kept, and the ids of the comparisons an export submitted are kept in
 * data/demo-rebuild/exports/<demo>.json, so that a rerun after an interruption attaches to them (the
 * stack keeps them through its restarts). --fresh deletes the chosen demos' models, fixtures and export
 * state first. ZOO_DEMO_OUT (a directory ending in /) stages the models elsewhere; --out the comparisons.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { exportDemoComparison } from './export-demo-comparison.ts';
import { DEMOS, type Demo } from './train-zoo-demo.ts';

const root = resolve(import.meta.dirname, '..');

export interface Lane {
  models: string[];
  minutes: number;
}

/**
 * Longest job first onto the least loaded lane (the LPT rule: within 4/3 of the best split). Models
 * without an estimate count as the longest, so that an unknown model never ends a lane late.
 */
export function planLanes(models: { id: string; minutes?: number }[], lanes: number): Lane[] {
  const plan: Lane[] = Array.from({ length: Math.max(1, Math.min(lanes, models.length)) }, () => ({ models: [], minutes: 0 }));
  const longest = Math.max(1, ...models.map((m) => m.minutes ?? 0));
  const estimate = (m: { minutes?: number }) => m.minutes ?? longest;
  const sorted = [...models].sort((a, b) => estimate(b) - estimate(a));
  for (const model of sorted) {
    const lane = plan.reduce((best, l) => (l.minutes < best.minutes ? l : best));
    lane.models.push(model.id);
    lane.minutes += estimate(model);
  }
  return plan.filter((l) => l.models.length > 0);
}

export interface RebuildOptions {
  demos: Demo[];
  lanes: number;
  /** A running stack; without it, one is started (and stopped) on `port`. */
  baseUrl?: string;
  port: number;
  /** Where the trained models are (fixtures/models/ or ZOO_DEMO_OUT) and the comparisons are written; directories ending in /. */
  modelsDir: string;
  outDir: string;
  /** The started stack's data directory; the export state is kept in <dataDir>/exports/. */
  dataDir: string;
  log: (line: string) => void;
}

export interface RebuildTimes {
  trainingSeconds: number;
  exportSeconds: Record<string, number>;
  totalSeconds: number;
}

const seconds = (since: number) => (performance.now() - since) / 1000;

/** Runs a TypeScript entry point of this project; its output lines are logged with a prefix. */
function run(entry: string, args: string[], env: NodeJS.ProcessEnv, prefix: string, log: (line: string) => void): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const line of lines) log(`${prefix} ${line}`);
    });
  }
  return child;
}

const exited = (child: ChildProcess) => new Promise<number>((done) => child.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0))));

async function waitForHealth(baseUrl: string, stack: ChildProcess): Promise<void> {
  let gone = false;
  stack.once('exit', () => (gone = true));
  for (let i = 0; i < 300; i++) {
    if (gone) throw new Error('the stack exited before it answered /health');
    const up = await fetch(`${baseUrl}/health`).then((r) => r.ok, () => false);
    if (up) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`the stack did not answer ${baseUrl}/health within 300 s`);
}

export async function rebuildDemos(options: RebuildOptions): Promise<RebuildTimes> {
  const { log } = options;
  const started = performance.now();
  const untrained = options.demos.flatMap((d) => d.models).filter((m) => !existsSync(`${options.modelsDir}${m.id}/model-info.json`));
  const lanes = planLanes(untrained.map((m) => ({ id: m.id, minutes: m.trainingMinutes })), options.lanes);
  for (const [k, lane] of lanes.entries()) log(`lane ${k + 1}: ${lane.models.join(', ')} (about ${Math.round(lane.minutes)} min)`);
  const codes = await Promise.all(lanes.map((lane, k) =>
    exited(run('scripts/train-zoo-demo.ts', [lane.models.join(',')], { ...process.env, ZOO_DEMO_OUT: options.modelsDir }, `[lane ${k + 1}]`, log))));
  if (codes.some((c) => c !== 0)) throw new Error(`training lane(s) ${codes.flatMap((c, k) => (c === 0 ? [] : [k + 1])).join(', ')} failed`);
  const trainingSeconds = seconds(started);

  const pending = options.demos.filter((d) => !existsSync(`${options.outDir}${d.id}/comparison.json`));
  const exportSeconds: Record<string, number> = {};
  let stack: ChildProcess | null = null;
  const baseUrl = options.baseUrl ?? `http://127.0.0.1:${options.port}`;
  try {
    if (pending.length > 0 && !options.baseUrl) {
      stack = run('scripts/start.ts', [], {
        ...process.env, PORT: String(options.port), LA_NAMESPACE: 'demo-rebuild', DATA_DIR: options.dataDir,
        FIXTURES_DIR: options.modelsDir, COMPARISON_FIXTURES_DIR: options.outDir,
      }, '[stack]', log);
      await waitForHealth(baseUrl, stack);
    }
    const stateDir = `${options.dataDir}/exports/`;
    await mkdir(stateDir, { recursive: true });
    await Promise.all(pending.map(async (demo) => {
      const exportStarted = performance.now();
      const statePath = `${stateDir}${demo.id}.json`;
      const state: { comparisonId?: string; companionId?: string } = JSON.parse(await readFile(statePath, 'utf8').catch(() => '{}'));
      await exportDemoComparison(demo, {
        baseUrl, outDir: options.outDir, comparisonId: state.comparisonId, companionId: state.companionId,
        log: (line) => log(`[${demo.id}] ${line}`),
        onSubmitted: async (kind, id) => {
          state[kind === 'comparison' ? 'comparisonId' : 'companionId'] = id;
          await writeFile(statePath, JSON.stringify(state));
        },
      });
      await rm(statePath, { force: true });
      exportSeconds[demo.id] = seconds(exportStarted);
    }));
  } finally {
    // A stack that already exited (code or signal) has no 'exit' left to wait for.
    if (stack && stack.exitCode === null && stack.signalCode === null) {
      stack.kill('SIGTERM');
      await exited(stack);
    }
  }
  const times = { trainingSeconds, exportSeconds, totalSeconds: seconds(started) };
  log(`training ${(trainingSeconds / 60).toFixed(1)} min (${lanes.length} lane(s)); ${Object.entries(exportSeconds).map(([id, s]) => `${id} ${(s / 60).toFixed(1)} min`).join(', ') || 'no export'}; total ${(times.totalSeconds / 60).toFixed(1)} min`);
  for (const model of options.demos.flatMap((d) => d.models)) {
    const info = JSON.parse(await readFile(`${options.modelsDir}${model.id}/model-info.json`, 'utf8').catch(() => 'null'));
    if (info) log(`  ${model.id}: ${info.history.length} epochs in ${(info.trainingSeconds / 60).toFixed(1)} min, test accuracy ${info.final.test.accuracy.toFixed(4)}`);
  }
  return times;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      demos: { type: 'string' },
      lanes: { type: 'string', default: String(availableParallelism()) },
      url: { type: 'string' },
      port: { type: 'string', default: '8095' },
      out: { type: 'string', default: `${root}/fixtures/comparisons/` },
      fresh: { type: 'boolean', default: false },
    },
  });
  const ids = values.demos?.split(',');
  const unknown = ids?.filter((id) => !DEMOS.some((d) => d.id === id)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown demo(s) ${unknown.join(', ')}; known: ${DEMOS.map((d) => d.id).join(', ')}`);
  const demos = DEMOS.filter((d) => !ids || ids.includes(d.id));
  const modelsDir = process.env.ZOO_DEMO_OUT ?? `${root}/fixtures/models/`;
  const dataDir = resolve(root, 'data/demo-rebuild');
  const outDir = values.out.endsWith('/') ? values.out : `${values.out}/`;
  if (values.fresh) {
    for (const demo of demos) {
      for (const model of demo.models) await rm(`${modelsDir}${model.id}`, { recursive: true, force: true });
      await rm(`${outDir}${demo.id}`, { recursive: true, force: true });
      await rm(`${dataDir}/exports/${demo.id}.json`, { force: true });
    }
  }
  await rebuildDemos({ demos, lanes: Number(values.lanes), baseUrl: values.url, port: Number(values.port), modelsDir, outDir, dataDir, log: (line) => console.log(line) });
}
