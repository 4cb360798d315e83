import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelFormat, ModelRecord, Tenant } from '../../contract/index.ts';
import type { ModelFormatSpec } from '../../contract/formats/format.ts';
import { modelFormat } from '../../contract/formats/index.ts';
import type { BlobStore } from './blobs.ts';
import { sha256 } from './blobs.ts';
import { canRead, ownerOf, readable, type Principal } from '../tenancy.ts';
import { fixtureFolders, readJsonDir, readJsonOrNull, removeFile, writeAtomic } from './files.ts';

export interface ModelInput {
  id?: string;
  name: string;
  format: ModelFormat;
  source: ModelRecord['source'];
  description?: string;
  /** tfjs-layers: 'model.json' and the shard files it names; onnx: 'model.onnx'. */
  files: Record<string, Uint8Array>;
  dataset?: string | null;
  tags?: string[];
  metadata?: Record<string, unknown>;
  /** The owning tenant; null for the fixtures (public, read-only). */
  tenant: Tenant;
}

export class ModelStore {
  private readonly records = new Map<string, ModelRecord>();

  constructor(
    private readonly dir: string,
    private readonly blobs: BlobStore,
  ) {}

  async load(): Promise<void> {
    for (const record of await readJsonDir<ModelRecord>(this.dir)) this.records.set(record.id, record);
  }

  /** The models the viewer may read: its own and the public demos (every model for an admin). */
  list(viewer: Principal): ModelRecord[] {
    return [...this.records.values()]
      .filter((record) => canRead(viewer, ownerOf(record)))
      .sort((a, b) => a.source.localeCompare(b.source) || a.name.localeCompare(b.name));
  }

  /** Any stored model, whoever owns it: for work already admitted (jobs, exports of a readable surface). */
  get(id: string): ModelRecord | undefined {
    return this.records.get(id);
  }

  /** The model when the viewer may read it, else a 404 (a 400 naming `field` when a request field named it). */
  readable(id: string, viewer: Principal, field?: string): ModelRecord {
    return readable(viewer, this.records.get(id), 'model', id, field);
  }

  /** Forget a model; its blobs stay (content-addressed, possibly shared with other models). */
  async remove(id: string): Promise<void> {
    await removeFile(join(this.dir, `${id}.json`));
    this.records.delete(id);
  }

  /**
   * Validate, store every file as a blob, then write the record: nothing is half-stored. Uploads
   * pass `canonical` as decoded off the event loop (server/uploads/decode.ts).
   */
  async register(input: ModelInput, canonical: ReturnType<ModelFormatSpec['canonicalize']> = modelFormat(input.format).canonicalize(input.files)): Promise<ModelRecord> {
    const { description, files } = canonical;
    const hashes: Record<string, string> = {};
    for (const [name, bytes] of Object.entries(files)) hashes[name] = await this.blobs.put(bytes);
    const id = input.id ?? `m-${randomBytes(5).toString('hex')}`;
    const record: ModelRecord = {
      id,
      name: input.name,
      format: input.format,
      source: input.source,
      description: input.description ?? '',
      hash: sha256(Object.keys(hashes).sort().map((k) => `${k}:${hashes[k]}`).join('\n')),
      files: hashes,
      inputShape: description.inputShape,
      loss: description.trainingLoss,
      outputActivation: description.outputActivation,
      parameterCount: description.parameters.reduce((n, p) => n + p.size, 0),
      layers: description.layers,
      parameters: description.parameters,
      dataset: input.dataset ?? null,
      tags: input.tags ?? [],
      metadata: input.metadata ?? {},
      createdAt: this.records.get(id)?.createdAt ?? new Date().toISOString(),
      tenant: input.tenant,
    };
    await writeAtomic(join(this.dir, `${id}.json`), JSON.stringify(record));
    this.records.set(id, record);
    return record;
  }

  /** Register every fixtures/models/<id>/ (model.json, weights.bin, model-info.json) that is new or changed. */
  async registerFixtures(fixturesDir: string): Promise<void> {
    for (const id of await fixtureFolders(fixturesDir)) {
      const folder = join(fixturesDir, id);
      const info = await readJsonOrNull<{ name?: string; description?: string; dataset?: string; source?: ModelRecord['source']; tags?: string[] } & Record<string, unknown>>(
        join(folder, 'model-info.json'),
      );
      if (!info) continue;
      const files = {
        'model.json': new Uint8Array(await readFile(join(folder, 'model.json'))),
        'weights.bin': new Uint8Array(await readFile(join(folder, 'weights.bin'))),
      };
      await this.register({
        id,
        name: info.name ?? id,
        format: 'tfjs-layers',
        source: info.source ?? 'demo',
        description: info.description ?? '',
        files,
        dataset: info.dataset ?? null,
        tags: info.tags ?? [],
        metadata: info,
        tenant: null,
      });
    }
  }
}
