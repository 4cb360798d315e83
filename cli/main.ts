import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { SingleBar } from 'cli-progress';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { Axis, SurfaceRequest } from '../contract/index.ts';
import { SURFACE_EXPORT_NAMES, type SurfaceExportName } from '../contract/exports/format-names.ts';
import { VERSION } from '../server/version.ts';
import { UsageError } from './usage-error.ts';
import type { LocalSurfaceOptions } from './local-surface.ts';

/**
 * loss-atlas: surfaces on this machine (`surface`) or through a running service (`submit`,
 * `get`). Exit codes: 0 ok, 2 bad arguments (the message names the flag), 1 failure.
 */

function axis(value: string): Axis {
  const parts = value.split(':').map(Number);
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p)) || !Number.isInteger(parts[2]) || parts[2]! < 2 || !(parts[1]! > parts[0]!)) {
    throw new InvalidArgumentError('expected min:max:num with max > min and num ≥ 2, e.g. -1:1:51');
  }
  return { min: parts[0]!, max: parts[1]!, num: parts[2]! };
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected an integer ≥ 0');
  return n;
}

function outFormat(path: string): SurfaceExportName {
  const format = extname(path).slice(1) as SurfaceExportName;
  if (!(SURFACE_EXPORT_NAMES as readonly string[]).includes(format)) throw new UsageError('--out', `${path}: the extension must be one of ${SURFACE_EXPORT_NAMES.map((f) => `.${f}`).join(', ')}`);
  return format;
}

const choice = (flags: string, description: string, choices: string[]) => new Option(flags, description).choices(choices);

/** Options named like the API's request fields; the reference's names (--xnorm, --xignore, --dir_type) too. */
function requestOptions(command: Command): Command {
  return command
    .requiredOption('--x <min:max:num>', 'grid.x: α axis, e.g. -1:1:51', axis)
    .option('--y <min:max:num>', 'grid.y: β axis (omit for a 1D line)', axis)
    .addOption(choice('--split <split>', 'dataset.split (default test)', ['train', 'test', 'both']))
    .option('--samples <n>', 'dataset.samples: at most the split size (default 1000, or the whole split when smaller)', positiveInteger)
    .option('--sample-seed <n>', 'dataset.sampleSeed (default 0)', nonNegativeInteger)
    .option('--seed <n>', 'directions.seed (default 0)', nonNegativeInteger)
    .addOption(choice('--normalization <type>', 'directions.normalization (default filter)', ['filter', 'layer', 'weight', 'dfilter', 'dlayer', 'none']))
    .addOption(choice('--xnorm <type>', 'the reference\'s name of --normalization', ['filter', 'layer', 'weight', 'dfilter', 'dlayer', 'none']))
    .addOption(choice('--ignore <what>', 'directions.ignore (default biasbn)', ['biasbn', 'none']))
    .addOption(choice('--xignore <what>', 'the reference\'s name of --ignore', ['biasbn', 'none']))
    .addOption(choice('--mode <mode>', 'directions.mode (default weights)', ['weights', 'states']))
    .addOption(choice('--dir_type <mode>', 'the reference\'s name of --mode', ['weights', 'states']))
    .addOption(choice('--loss <name>', 'loss (default: the model\'s, else by task)', ['sparse_categorical_crossentropy', 'categorical_crossentropy', 'binary_crossentropy', 'mse', 'mae']))
    .option('--batch-size <n>', 'batchSize (default 128; does not change the numbers)', positiveInteger)
    .addOption(choice('--engine <engine>', 'engine (default onnx, falling back to tfjs)', ['onnx', 'tfjs']));
}

type RequestFlags = {
  x: Axis; y?: Axis; split?: 'train' | 'test' | 'both'; samples?: number; sampleSeed?: number; seed?: number;
  normalization?: LocalSurfaceOptions['normalization']; xnorm?: LocalSurfaceOptions['normalization'];
  ignore?: 'biasbn' | 'none'; xignore?: 'biasbn' | 'none'; mode?: 'weights' | 'states'; dir_type?: 'weights' | 'states';
  loss?: LocalSurfaceOptions['loss']; batchSize?: number; engine?: 'onnx' | 'tfjs';
};

function surfaceOptions(flags: RequestFlags): LocalSurfaceOptions {
  return {
    x: flags.x,
    y: flags.y,
    split: flags.split,
    samples: flags.samples,
    sampleSeed: flags.sampleSeed,
    seed: flags.seed,
    normalization: flags.normalization ?? flags.xnorm,
    ignore: flags.ignore ?? flags.xignore,
    mode: flags.mode ?? flags.dir_type,
    loss: flags.loss,
    batchSize: flags.batchSize,
    engine: flags.engine,
  };
}

function surfaceRequest(model: string, dataset: string, flags: RequestFlags & { name?: string }): SurfaceRequest {
  const o = surfaceOptions(flags);
  const defined = <T extends object>(value: T) => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
  const directions = defined({ seed: o.seed, normalization: o.normalization, ignore: o.ignore, mode: o.mode });
  return defined({
    model,
    dataset: defined({ id: dataset, split: o.split, samples: o.samples, sampleSeed: o.sampleSeed }),
    directions: Object.keys(directions).length ? directions : undefined,
    grid: defined({ x: o.x, y: o.y }),
    loss: o.loss,
    batchSize: o.batchSize,
    engine: o.engine,
    name: flags.name,
  });
}

function progressBar(label: string) {
  return new SingleBar({ format: `${label} [{bar}] {value}/{total} points | {eta_formatted} left`, stream: process.stderr, hideCursor: true });
}

async function writeOut(path: string, bytes: Uint8Array | string): Promise<void> {
  await writeFile(path, bytes);
  process.stderr.write(`wrote ${path}\n`);
}

/** A request to the service, with the key in LA_API_KEY when the service requires keys. */
async function api(url: string, path: string, init?: RequestInit): Promise<Response> {
  const key = process.env.LA_API_KEY;
  const headers = { ...(init?.headers as Record<string, string> | undefined), ...(key ? { authorization: `Bearer ${key}` } : {}) };
  let response: Response;
  try {
    response = await fetch(new URL(path, url), { ...init, headers });
  } catch (err) {
    throw new UsageError('--url', `cannot reach ${url} (${(err as Error).cause ?? (err as Error).message})`);
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { message?: string; field?: string };
    const message = `${response.status} ${body.message ?? response.statusText}${body.field ? ` (field ${body.field})` : ''}`;
    if (response.status >= 400 && response.status < 500) throw new UsageError(body.field ? `--${body.field}` : 'request', message);
    throw new Error(message);
  }
  return response;
}

async function download(url: string, id: string, out: string): Promise<void> {
  const format = outFormat(out);
  const response = await api(url, `/api/v1/surfaces/${encodeURIComponent(id)}/export.${format}`);
  await writeOut(out, new Uint8Array(await response.arrayBuffer()));
}

async function waitFor(url: string, id: string): Promise<{ status: string }> {
  const bar = progressBar(id);
  let started = false;
  for (;;) {
    const record = (await (await api(url, `/api/v1/surfaces/${encodeURIComponent(id)}`)).json()) as { status: string; progress: { done: number; total: number }; error: { message: string } | null };
    if (!started) bar.start(record.progress.total, 0);
    started = true;
    bar.update(record.progress.done);
    if (['completed', 'failed', 'cancelled'].includes(record.status)) {
      bar.stop();
      if (record.status !== 'completed') throw new Error(`surface ${id} ${record.status}${record.error ? `: ${record.error.message}` : ''}`);
      return record;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export function program(): Command {
  const cli = new Command('loss-atlas')
    .description('Loss landscapes of trained networks (Li et al. 2018): compute them here, or through a running Loss Atlas service')
    .version(VERSION)
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  loss-atlas surface --model fixtures/models/demo-cnn-skip --dataset mnist --samples 1000 --x=-1:1:51 --y=-1:1:51 --xnorm filter --xignore biasbn --out surface.h5
  loss-atlas submit --url http://127.0.0.1:8080 --model demo-cnn-skip --dataset mnist --x=-1:1:21 --y=-1:1:21 --wait --out surface.vtp
  loss-atlas get <surface id> --url http://127.0.0.1:8080 --out surface.npz
  loss-atlas key --tenant alice

submit and get send the key in LA_API_KEY (Authorization: Bearer) to a service that requires keys.
Exit codes: 0 ok, 2 bad arguments (the message names the flag), 1 failure.`,
    );

  requestOptions(
    cli
      .command('surface')
      .description(`compute a 1D or 2D surface on this machine (no Redis, no API) with the service's engines, directions and samples; same seed → same values`)
      .requiredOption('--model <path>', 'model.json (shards beside it), a .onnx file, or a folder holding either')
      .requiredOption('--dataset <data>', 'built-in name (mnist, spirals, moons, circles, blobs), a .npz, x.npy,y.npy, or a .json'),
  )
    .addOption(choice('--task <task>', 'task of an uploaded dataset (default: integer labels → classification)', ['classification', 'regression']))
    .option('--workers <n>', 'evaluation processes (default: the machine\'s cores)', positiveInteger)
    .requiredOption('--out <file>', `result file: ${SURFACE_EXPORT_NAMES.map((f) => `.${f}`).join(', ')}`)
    .option('--directions-out <file>', 'also write the directions: .h5 (the reference\'s direction-file layout) or .npz')
    .addHelpText('after', '\nExample:\n  loss-atlas surface --model fixtures/models/demo-cnn-skip --dataset mnist --x=-1:1:51 --y=-1:1:51 --xnorm filter --xignore biasbn --out surface.h5')
    .action(async (flags: RequestFlags & { model: string; dataset: string; task?: string; workers?: number; out: string; directionsOut?: string }) => {
      const format = outFormat(flags.out);
      const directionsFormat = flags.directionsOut ? extname(flags.directionsOut).slice(1) : null;
      if (directionsFormat !== null && directionsFormat !== 'h5' && directionsFormat !== 'npz') throw new UsageError('--directions-out', `${flags.directionsOut}: the extension must be .h5 or .npz`);
      // Engines, datasets and writers load only when a surface is computed: --help and bad flags answer at once.
      const [{ loadDataset, loadModel }, { computeLocalSurface }, { exportSurface }, { directionsToH5, directionsToNpz }] = await Promise.all([
        import('./inputs.ts'),
        import('./local-surface.ts'),
        import('../contract/exports/formats.ts'),
        import('../contract/exports/directions.ts'),
      ]);
      const model = await loadModel(flags.model);
      const dataset = await loadDataset(flags.dataset, flags.task);
      const bar = progressBar('surface');
      let started = false;
      const { result, directions } = await computeLocalSurface(model, dataset, { ...surfaceOptions(flags), workers: flags.workers }, (done, total) => {
        if (!started) bar.start(total, 0);
        started = true;
        bar.update(done);
      });
      bar.stop();
      await writeOut(flags.out, await exportSurface(result, format));
      if (flags.directionsOut) await writeOut(flags.directionsOut, directionsFormat === 'h5' ? await directionsToH5(directions) : directionsToNpz(directions));
    });

  requestOptions(
    cli
      .command('submit')
      .description('queue a surface on a running service (POST /api/v1/surfaces); prints its id')
      .option('--url <url>', 'service address', 'http://127.0.0.1:8080')
      .requiredOption('--model <id>', 'model id (GET /api/v1/models)')
      .requiredOption('--dataset <id>', 'dataset id (GET /api/v1/datasets)')
      .option('--name <name>', 'name of the surface'),
  )
    .option('--wait', 'wait until it is finished, with a progress bar')
    .option('--out <file>', `with --wait: download the result (${SURFACE_EXPORT_NAMES.map((f) => `.${f}`).join(', ')})`)
    .addHelpText('after', '\nExample:\n  loss-atlas submit --model demo-cnn-skip --dataset mnist --x=-1:1:21 --y=-1:1:21 --wait --out surface.vtp')
    .action(async (flags: RequestFlags & { url: string; model: string; dataset: string; name?: string; wait?: boolean; out?: string }) => {
      if (flags.out) outFormat(flags.out);
      const response = await api(flags.url, '/api/v1/surfaces', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(surfaceRequest(flags.model, flags.dataset, flags)),
      });
      const { id } = (await response.json()) as { id: string };
      process.stdout.write(`${id}\n`);
      if (flags.wait || flags.out) await waitFor(flags.url, id);
      if (flags.out) await download(flags.url, id, flags.out);
    });

  cli
    .command('get')
    .description('a surface of a running service: its record as JSON, or with --out its result as a file')
    .argument('<id>', 'surface id')
    .option('--url <url>', 'service address', 'http://127.0.0.1:8080')
    .option('--out <file>', `download the finished result (${SURFACE_EXPORT_NAMES.map((f) => `.${f}`).join(', ')})`)
    .option('--wait', 'wait until it is finished')
    .addHelpText('after', '\nExample:\n  loss-atlas get 3f2c… --out surface.h5')
    .action(async (id: string, flags: { url: string; out?: string; wait?: boolean }) => {
      if (flags.out) outFormat(flags.out);
      if (flags.wait) await waitFor(flags.url, id);
      if (flags.out) return download(flags.url, id, flags.out);
      const record = await (await api(flags.url, `/api/v1/surfaces/${encodeURIComponent(id)}`)).json();
      process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
    });

  cli
    .command('key')
    .description('make an API key for a tenant: prints the key (give it to the tenant; it is stored nowhere) and the entry to add to LA_API_KEYS or LA_API_KEYS_FILE')
    .requiredOption('--tenant <name>', 'tenant the key acts for (letters, digits, _ . -)')
    .addOption(choice('--role <role>', 'user: its own resources and the demos; admin: everything, /metrics and /admin/queues', ['user', 'admin']).default('user'))
    .addHelpText('after', '\nExample:\n  loss-atlas key --tenant alice   # then add the printed entry to the JSON list in LA_API_KEYS_FILE')
    .action(async (flags: { tenant: string; role: 'user' | 'admin' }) => {
      const { newApiKey } = await import('../server/plugins/auth.ts');
      let made: ReturnType<typeof newApiKey>;
      try {
        made = newApiKey(flags.tenant, flags.role);
      } catch (err) {
        throw new UsageError('--tenant', (err as Error).message);
      }
      process.stdout.write(`key:   ${made.key}\nentry: ${JSON.stringify(made.entry)}\n`);
    });

  return cli;
}

/** Runs the CLI and returns its exit code. */
export async function main(argv: string[]): Promise<number> {
  const cli = program().exitOverride();
  for (const command of cli.commands) command.exitOverride();
  try {
    await cli.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`failed: ${(err as Error).message}\n`);
    return 1;
  }
}
