// A child process that decodes one upload and exits (forked by ./decode.ts with a heap limit and
// killed past its time limit), so a hostile file costs this process's memory and time, never the
// API's event loop or heap. Each kind imports only what it needs: h5wasm, the model formats and
// onnxruntime take most of a start-up.
import { ContractError } from '../../contract/errors.ts';
import type { DecodeOutcome, DecodeTask } from './decode.ts';

process.on('disconnect', () => process.exit(0));

async function run(task: DecodeTask): Promise<unknown> {
  switch (task.kind) {
    case 'dataset':
      return (await import('../datasets/parse-upload.ts')).parseDatasetUpload(task.files, task.fields);
    case 'directions':
      return (await import('../imports/direction-file.ts')).readDirectionFile(task.bytes, task.fileName);
    case 'checkpoints':
      return (await import('../imports/checkpoint-file.ts')).readCheckpointFile(task.bytes, task.parameters, task.mode, task.field);
    case 'surface':
      return (await import('../imports/surface-h5.ts')).importedSurface(task.bytes, task.fileName, task.id, task.sha256, task.options);
    case 'model': {
      const canonical = (await import('../../contract/formats/index.ts')).modelFormat(task.format).canonicalize(task.files);
      if (task.format !== 'onnx') return canonical;
      // The parameter model reads the graph's structure only; whether onnxruntime can build the
      // graph (shapes, operator attributes) shows only when a session is created. One thread: a check.
      const { InferenceSession } = await import('onnxruntime-node');
      try {
        const session = await InferenceSession.create(canonical.files['model.onnx']!, { intraOpNumThreads: 1, interOpNumThreads: 1 });
        await session.release();
      } catch (error) {
        throw new ContractError(task.fileName, `onnxruntime cannot load this model: ${(error as Error).message}`);
      }
      return canonical;
    }
  }
}

process.once('message', (task: DecodeTask) => {
  run(task)
    .then(
      (value): DecodeOutcome => ({ ok: true, value }),
      (error: Error): DecodeOutcome =>
        error instanceof ContractError
          ? { ok: false, field: error.field, reason: error.message.slice(error.field.length + 2) }
          : { ok: false, field: null, reason: error.message },
    )
    .then((outcome) => process.send!(outcome, () => process.exit(0)));
});
