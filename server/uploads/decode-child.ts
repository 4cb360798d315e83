// A child process that decodes one upload and exits (forked by ./decode.ts with a heap limit and
// killed past its time limit), so a hostile file costs this process's memory and time, never the
// API's event loop or heap.
import { InferenceSession } from 'onnxruntime-node';
import { ContractError } from '../../contract/errors.ts';
import { modelFormat } from '../../contract/formats/index.ts';
import { parseDatasetUpload } from '../datasets/parse-upload.ts';
import { readDirectionFile } from '../imports/direction-file.ts';
import { importedSurface } from '../imports/surface-h5.ts';
import type { DecodeOutcome, DecodeTask } from './decode.ts';

process.on('disconnect', () => process.exit(0));

async function run(task: DecodeTask): Promise<unknown> {
  if (task.kind === 'dataset') return parseDatasetUpload(task.files, task.fields);
  if (task.kind === 'directions') return readDirectionFile(task.bytes, task.fileName);
  if (task.kind === 'surface') return importedSurface(task.bytes, task.fileName, task.id, task.sha256, task.options);
  const canonical = modelFormat(task.format).canonicalize(task.files);
  if (task.format === 'onnx') {
    // The parameter model reads the graph's structure only; whether onnxruntime can build the graph
    // (shapes, operator attributes) shows only when a session is created. One thread: this is a check.
    const bytes = canonical.files['model.onnx']!;
    try {
      const session = await InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
      await session.release();
    } catch (error) {
      throw new ContractError(task.fileName, `onnxruntime cannot load this model: ${(error as Error).message}`);
    }
  }
  return canonical;
}

process.once('message', (task: DecodeTask) => {
  run(task).then(
    (value): DecodeOutcome => ({ ok: true, value }),
    (error: Error): DecodeOutcome =>
      error instanceof ContractError
        ? { ok: false, field: error.field, reason: error.message.slice(error.field.length + 2) }
        : { ok: false, field: null, reason: error.message },
  ).then((outcome) => process.send!(outcome, () => process.exit(0)));
});
