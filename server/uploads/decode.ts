import { fork } from 'node:child_process';
import { resolve } from 'node:path';
import type { DatasetArrays } from '../../contract/dataset-codec.ts';
import { ContractError } from '../../contract/errors.ts';
import type { ModelDescription } from '../../contract/formats/format.ts';
import type { ModelFormat } from '../../contract/models.ts';
import type { Split, SurfaceRecord, SurfaceResult } from '../../contract/index.ts';
import type { ParameterInfo } from '../../contract/parameters.ts';
import type { UploadedCheckpoint } from '../imports/checkpoint-file.ts';
import type { DirectionFile } from '../imports/direction-file.ts';
import { HttpError } from '../errors.ts';

/** What one decoding child may use: its V8 heap (MB) and its wall time (ms). */
export interface DecodeLimits {
  memoryMb: number;
  timeoutMs: number;
}

export type DecodeTask =
  | { kind: 'dataset'; files: { name: string; bytes: Uint8Array }[]; fields: Record<string, string> }
  | { kind: 'model'; format: ModelFormat; fileName: string; files: Record<string, Uint8Array> }
  | { kind: 'directions'; fileName: string; bytes: Uint8Array }
  | { kind: 'checkpoints'; fileName: string; bytes: Uint8Array; parameters: ParameterInfo[]; mode: 'weights' | 'states'; field: string }
  | { kind: 'surface'; fileName: string; bytes: Uint8Array; id: string; sha256: string; options: { name?: string; split?: Split } };

/** The child's one message: the decoded value, or why the upload is refused (field null: an unexpected error). */
export type DecodeOutcome = { ok: true; value: unknown } | { ok: false; field: string | null; reason: string };

const root = resolve(import.meta.dirname, '../..');
const CHILD = resolve(import.meta.dirname, 'decode-child.ts');

/**
 * Runs one decode in a fresh child process: a file that would take the API's event loop for
 * seconds or its heap for hundreds of MB costs the child instead, which is killed past the time
 * limit and dies at its heap limit. Every refusal is a 400 naming the file (or member) at fault.
 * Typed arrays in the value arrive as views into the message's buffer: read them through
 * byteOffset and byteLength, never their whole .buffer.
 */
function decodeInChild(task: DecodeTask, file: string, limits: DecodeLimits): Promise<unknown> {
  return new Promise((resolveValue, reject) => {
    const child = fork(CHILD, {
      cwd: root,
      execArgv: ['--import', 'tsx', `--max-old-space-size=${limits.memoryMb}`],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    let settled = false;
    let timedOut = false;
    const settle = (error: Error | null, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolveValue(value);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limits.timeoutMs);
    child.on('message', (outcome: DecodeOutcome) => {
      if (outcome.ok) return settle(null, outcome.value);
      settle(
        outcome.field !== null
          ? new ContractError(outcome.field, outcome.reason)
          : new HttpError(400, 'UPLOAD_UNREADABLE', `${file} could not be read: ${outcome.reason}`, file),
      );
    });
    // A child that could not start has no 'close' to wait for; one that started (and perhaps was
    // killed while the task was being sent to it) is judged when it closes.
    child.on('error', (error) => {
      if (child.pid === undefined) settle(error);
    });
    // 'close' comes after every message the child sent, so a child that answered has settled by now.
    child.on('close', (code, signal) => {
      if (timedOut) return settle(new HttpError(400, 'UPLOAD_DECODE_TIMEOUT', `${file} took longer than ${limits.timeoutMs} ms to decode`, file));
      settle(new HttpError(400, 'UPLOAD_TOO_COMPLEX', `${file} needs more than ${limits.memoryMb} MB of memory to decode (the decoder ended with ${signal ?? `exit code ${code}`})`, file));
    });
    child.send(task, () => undefined);
  });
}

/** An uploaded dataset's files decoded and checked (server/datasets/parse-upload.ts) off the event loop. */
export async function decodeDatasetUpload(files: { name: string; bytes: Uint8Array }[], fields: Record<string, string>, limits: DecodeLimits): Promise<DatasetArrays> {
  const file = files.length === 1 ? files[0]!.name : 'files';
  return (await decodeInChild({ kind: 'dataset', files, fields }, file, limits)) as DatasetArrays;
}

/**
 * An uploaded model validated and made canonical by its format off the event loop; an ONNX model
 * must also open as an onnxruntime session (its own error is the 400's message otherwise).
 */
export async function decodeModelUpload(
  format: ModelFormat,
  fileName: string,
  files: Record<string, Uint8Array>,
  limits: DecodeLimits,
): Promise<{ description: ModelDescription; files: Record<string, Uint8Array> }> {
  return (await decodeInChild({ kind: 'model', format, fileName, files }, fileName, limits)) as { description: ModelDescription; files: Record<string, Uint8Array> };
}

/** A direction file of the reference (h5) or of Loss Atlas (npz), read off the event loop. */
export async function decodeDirectionUpload(fileName: string, bytes: Uint8Array, limits: DecodeLimits): Promise<DirectionFile> {
  return (await decodeInChild({ kind: 'directions', fileName, bytes }, fileName, limits)) as DirectionFile;
}

/** A training trajectory's checkpoints (npz) matched to the model's parameters off the event loop. */
export async function decodeCheckpointUpload(task: Omit<Extract<DecodeTask, { kind: 'checkpoints' }>, 'kind'>, limits: DecodeLimits): Promise<UploadedCheckpoint[]> {
  return (await decodeInChild({ kind: 'checkpoints', ...task }, task.fileName, limits)) as UploadedCheckpoint[];
}

/** A surface h5 of the reference read into a surface record and result off the event loop. */
export async function decodeSurfaceUpload(
  task: Omit<Extract<DecodeTask, { kind: 'surface' }>, 'kind'>,
  limits: DecodeLimits,
): Promise<{ record: SurfaceRecord; result: SurfaceResult }> {
  return (await decodeInChild({ kind: 'surface', ...task }, task.fileName, limits)) as { record: SurfaceRecord; result: SurfaceResult };
}
