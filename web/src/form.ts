import type { DatasetInfo, DirectionOptions, ModelRecord, SurfaceRequest } from '../../contract/index.ts';
import { ApiError, api } from './api.ts';

/** The job the form starts with: the paper's setup on the skip-connection demo net, small enough to finish in seconds. */
export const DEFAULT_JOB = {
  model: 'demo-cnn-skip',
  dataset: 'mnist',
  split: 'test',
  samples: 500,
  normalization: 'filter',
  ignore: 'biasbn',
  mode: 'weights',
  seed: 0,
  axis: { min: -1, max: 1, num: 21 },
} as const;

type Field = HTMLInputElement | HTMLSelectElement;

/**
 * The "new surface" form: fills model and dataset choices from the API, uploads models, builds a
 * SurfaceRequest and shows API field errors next to the field they name.
 */
export class JobForm {
  private models: ModelRecord[] = [];
  private datasets: DatasetInfo[] = [];

  constructor(
    private readonly form: HTMLFormElement,
    private readonly submit: (request: SurfaceRequest) => Promise<void>,
    private readonly reportError: (error: unknown) => void,
  ) {
    this.field('model').addEventListener('change', () => this.onModelChange());
    for (const name of ['dataset.id', 'dataset.split']) this.field(name).addEventListener('change', () => this.updateSampleLimit());
    for (const radio of form.querySelectorAll<HTMLInputElement>('input[name="dimensions"]')) radio.addEventListener('change', () => this.updateDimensions());
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.onSubmit();
    });
    form.querySelector<HTMLButtonElement>('#upload-button')!.addEventListener('click', () => void this.onUpload());
    this.updateDimensions();
  }

  async load(): Promise<void> {
    const [models, datasets] = await Promise.all([api.models(), api.datasets()]);
    this.models = models;
    this.datasets = datasets;
    this.fillModels(DEFAULT_JOB.model);
    const datasetSelect = this.field('dataset.id') as HTMLSelectElement;
    datasetSelect.replaceChildren(...datasets.map((d) => new Option(`${d.name} (${d.id})`, d.id)));
    const uploadDataset = this.form.querySelector<HTMLSelectElement>('#upload-dataset')!;
    uploadDataset.replaceChildren(new Option('unknown', ''), ...datasets.map((d) => new Option(d.name, d.id)));
    this.onModelChange();
  }

  private field(name: string): Field {
    const element = this.form.elements.namedItem(name);
    if (!element) throw new Error(`form field ${name} is missing from index.html`);
    return element as Field;
  }

  private fillModels(selectedId: string): void {
    const select = this.field('model') as HTMLSelectElement;
    const groups = new Map<string, HTMLOptGroupElement>();
    for (const model of this.models) {
      const label = model.source === 'upload' ? 'Uploaded' : model.source === 'demo' ? 'Demo models' : model.source === 'zoo' ? 'Model zoo' : 'Trained here';
      if (!groups.has(label)) groups.set(label, Object.assign(document.createElement('optgroup'), { label }));
      groups.get(label)!.append(new Option(`${model.name} · ${model.parameterCount.toLocaleString('en')} params`, model.id));
    }
    select.replaceChildren(...groups.values());
    if (this.models.some((m) => m.id === selectedId)) select.value = selectedId;
  }

  private onModelChange(): void {
    const model = this.models.find((m) => m.id === this.field('model').value);
    if (model?.dataset && this.datasets.some((d) => d.id === model.dataset)) this.field('dataset.id').value = model.dataset;
    const hint = this.form.querySelector('#model-hint');
    if (hint) hint.textContent = model ? `${model.format}, input ${model.inputShape.join('×')}${model.dataset ? `, trained on ${model.dataset}` : ''}. ${model.description}` : '';
    this.updateSampleLimit();
  }

  private updateSampleLimit(): void {
    const dataset = this.datasets.find((d) => d.id === this.field('dataset.id').value);
    if (!dataset) return;
    const split = this.field('dataset.split').value;
    const limit = split === 'train' ? dataset.splits.train : split === 'test' ? dataset.splits.test : dataset.splits.train + dataset.splits.test;
    const samples = this.field('dataset.samples') as HTMLInputElement;
    samples.max = String(limit);
    const hint = this.form.querySelector('#samples-hint');
    if (hint) hint.textContent = `at most ${limit.toLocaleString('en')} in this split`;
  }

  private updateDimensions(): void {
    const twoD = this.form.querySelector<HTMLInputElement>('input[name="dimensions"][value="2d"]')!.checked;
    this.form.querySelector<HTMLFieldSetElement>('#beta-axis')!.disabled = !twoD;
  }

  /** Reads the form into a request; browser-side checks (required, min/max) already ran. */
  readRequest(): SurfaceRequest {
    const number = (name: string) => Number(this.field(name).value);
    const value = (name: string) => this.field(name).value;
    const twoD = this.form.querySelector<HTMLInputElement>('input[name="dimensions"][value="2d"]')!.checked;
    const axis = (name: 'x' | 'y') => ({ min: number(`grid.${name}.min`), max: number(`grid.${name}.max`), num: number(`grid.${name}.num`) });
    const request: SurfaceRequest = {
      model: value('model'),
      dataset: { id: value('dataset.id'), split: value('dataset.split') as 'train' | 'test' | 'both', samples: number('dataset.samples') },
      directions: {
        normalization: value('directions.normalization') as DirectionOptions['normalization'],
        ignore: value('directions.ignore') as 'biasbn' | 'none',
        mode: value('directions.mode') as 'weights' | 'states',
        seed: number('directions.seed'),
        // Absent is one pair, a plain surface.
        ...(number('directions.ensemble') > 1 ? { ensemble: number('directions.ensemble') } : {}),
      },
      grid: twoD ? { x: axis('x'), y: axis('y') } : { x: axis('x') },
    };
    const loss = value('loss');
    if (loss) request.loss = loss as SurfaceRequest['loss'];
    const name = value('name').trim();
    if (name) request.name = name;
    return request;
  }

  private clearFieldErrors(): void {
    for (const element of this.form.querySelectorAll('[aria-invalid="true"]')) element.removeAttribute('aria-invalid');
    for (const element of this.form.querySelectorAll('.field-error')) element.remove();
  }

  /** Marks the field an API error names (e.g. "grid.x.num", "/grid/x/num" or "body.dataset.samples"). */
  showFieldError(field: string, message: string): boolean {
    const name = field.replace(/^\/?body[./]?/, '').replace(/^\//, '').replaceAll('/', '.');
    const element = this.form.elements.namedItem(name) as Field | null;
    if (!element || !(element instanceof HTMLElement)) return false;
    element.setAttribute('aria-invalid', 'true');
    const note = Object.assign(document.createElement('p'), { className: 'field-error', textContent: message, role: 'alert' });
    note.id = `${name}-error`;
    element.setAttribute('aria-describedby', note.id);
    const container = element.closest('.field');
    if (container) container.append(note);
    else element.after(note);
    element.focus();
    return true;
  }

  private async onSubmit(): Promise<void> {
    this.clearFieldErrors();
    const button = this.form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    button.disabled = true;
    try {
      await this.submit(this.readRequest());
    } catch (error) {
      if (!(error instanceof ApiError && error.field && this.showFieldError(error.field, error.message))) this.reportError(error);
    } finally {
      button.disabled = false;
    }
  }

  private async onUpload(): Promise<void> {
    const files = this.form.querySelector<HTMLInputElement>('#upload-files')!;
    const name = this.form.querySelector<HTMLInputElement>('#upload-name')!;
    const status = this.form.querySelector<HTMLElement>('#upload-status')!;
    if (!files.files?.length) {
      status.textContent = 'Choose model.json with its weight files, or one model.onnx.';
      files.focus();
      return;
    }
    const body = new FormData();
    body.append('name', name.value.trim() || files.files[0].name);
    const dataset = this.form.querySelector<HTMLSelectElement>('#upload-dataset')!.value;
    if (dataset) body.append('dataset', dataset);
    for (const file of files.files) body.append('files', file, file.name);
    status.textContent = 'Uploading…';
    try {
      const model = await api.uploadModel(body);
      this.models = await api.models();
      this.fillModels(model.id);
      this.onModelChange();
      status.textContent = `Uploaded ${model.name} (${model.parameterCount.toLocaleString('en')} parameters) and selected it.`;
      files.value = '';
    } catch (error) {
      status.textContent = error instanceof ApiError ? `Upload failed: ${error.message}${error.field ? ` (${error.field})` : ''}` : `Upload failed: ${String(error)}`;
    }
  }
}
