import type { DatasetInfo, ModelRecord } from '../../../contract/index.ts';
import { formatPercent } from '../format.ts';

/**
 * How each member was trained, from its model's metadata (GET /api/v1/models/{id}: zoo fixtures'
 * model-info.json and models registered by a training both carry recipe, final and
 * trainingSeconds), and which members look under-trained.
 */
export interface MemberRecipe {
  label: string;
  architecture: string;
  /** The architecture's other options (depth, skips, ...), e.g. "depth 2, skips none"; '' when none. */
  options: string;
  width: number | null;
  dataset: string;
  epochs: number | null;
  trainAccuracy: number | null;
  testAccuracy: number | null;
  trainingSeconds: number | null;
  /** What "accuracy" means for this member: IoU for segmentation. */
  accuracyName: 'accuracy' | 'IoU';
  /** Number of classes of a classification set (for the chance level), else null. */
  classes: number | null;
}

/**
 * A member counts as under-trained when its test accuracy is more than UNDERTRAINED_GAP below the
 * best member's: the largest gap between trained nets in Li et al.'s Table (ResNet-110 with and
 * without shortcuts on CIFAR-10, 5.79 vs 16.44 % error) is 10.65 points, so a wider gap means a
 * net that did not finish training rather than one that trains worse. A classifier is also flagged
 * below twice the chance level (2/classes), whatever the others reach.
 */
export const UNDERTRAINED_GAP = 0.15;

const record = (value: unknown): Record<string, unknown> => (value && typeof value === 'object' ? (value as Record<string, unknown>) : {});
const numberOrNull = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

export function memberRecipe(label: string, model: ModelRecord | null, datasets: readonly DatasetInfo[], surfaceDataset: string): MemberRecipe {
  const metadata = record(model?.metadata);
  const recipe = record(metadata.recipe);
  const final = record(metadata.final);
  // Zoo and trained models name the architecture as { id, width }; the demo CNNs describe it in words.
  const architecture = record(recipe.architecture ?? metadata.architecture);
  const datasetId = (typeof recipe.dataset === 'string' ? recipe.dataset : (record(recipe.dataset).id as string | undefined)) ?? model?.dataset ?? surfaceDataset;
  const dataset = datasets.find((d) => d.id === surfaceDataset);
  return {
    label,
    architecture: typeof architecture.id === 'string' ? architecture.id : model ? model.name : '—',
    // What tells two members of one architecture apart (a U-Net with and without long skips).
    options: Object.entries(architecture)
      .filter(([key, value]) => key !== 'id' && key !== 'width' && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'))
      .map(([key, value]) => `${key} ${value}`)
      .join(', '),
    width: numberOrNull(architecture.width),
    dataset: datasetId,
    epochs: numberOrNull(recipe.epochs),
    trainAccuracy: numberOrNull(record(final.train).accuracy),
    testAccuracy: numberOrNull(record(final.test).accuracy),
    trainingSeconds: numberOrNull(metadata.trainingSeconds),
    accuracyName: dataset?.task === 'segmentation' ? 'IoU' : 'accuracy',
    classes: dataset?.task === 'classification' ? dataset.classes ?? null : null,
  };
}

/** Why a member looks under-trained, or null; one sentence a reader can check against the table. */
export function undertrainedWarning(member: MemberRecipe, all: readonly MemberRecipe[]): string | null {
  const test = member.testAccuracy;
  if (test === null) return null;
  const name = member.accuracyName;
  if (member.classes && test < 2 / member.classes) {
    return `${member.label} looks under-trained: test ${name} ${formatPercent(test)} is below twice chance (${formatPercent(2 / member.classes)} for ${member.classes} classes). Its landscape is that of a net that did not learn the task.`;
  }
  const best = all.reduce<MemberRecipe | null>((top, m) => (m.testAccuracy !== null && (top === null || m.testAccuracy > top.testAccuracy!) ? m : top), null);
  if (best && best !== member && best.testAccuracy! - test > UNDERTRAINED_GAP) {
    return `${member.label} looks under-trained: test ${name} ${formatPercent(test)}, ${formatPercent(best.testAccuracy! - test)} points below ${best.label} (${formatPercent(best.testAccuracy)}); ` +
      `the paper's trained nets differ by at most 10.65 points. Differences in its landscape may come from the training, not the architecture.`;
  }
  return null;
}

/**
 * Test error of the same architecture in Li et al. 2018, Table 1 (CIFAR-10, 300 epochs), beside our
 * members' accuracy so a reader sees how far the shortened recipe is from the paper's training.
 */
export const PAPER_CIFAR10_ERROR: Readonly<Record<string, number>> = {
  resnet20: 0.0737,
  'resnet20-noshort': 0.0818,
  resnet56: 0.0589,
  'resnet56-noshort': 0.1331,
  resnet110: 0.0579,
  'resnet110-noshort': 0.1644,
};

/** "1 h 02 min", "7 min 18 s", "30 s". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** The recipe table: one row per member. */
export function renderRecipeTable(members: readonly MemberRecipe[]): HTMLTableElement {
  const table = document.createElement('table');
  table.className = 'metrics recipes';
  const name = members.every((m) => m.accuracyName === 'IoU') ? 'IoU' : 'accuracy';
  const head = table.createTHead().insertRow();
  const paper = members.some((m) => m.architecture in PAPER_CIFAR10_ERROR);
  const titles = ['Member', 'Architecture', 'Width', 'Trained on', 'Epochs', `Train ${name}`, `Test ${name}`, 'Training time', ...(paper ? ['Paper: CIFAR-10 test error'] : [])];
  for (const title of titles) {
    head.append(Object.assign(document.createElement('th'), { textContent: title, scope: 'col' }));
  }
  const body = table.createTBody();
  for (const m of members) {
    const row = body.insertRow();
    row.dataset.member = m.label;
    row.append(Object.assign(document.createElement('th'), { textContent: m.label, scope: 'row' }));
    const warning = undertrainedWarning(m, members);
    if (warning) row.classList.add('undertrained');
    const cells = [m.options ? `${m.architecture} (${m.options})` : m.architecture, m.width === null ? '—' : `×${m.width}`, m.dataset, m.epochs === null ? '—' : String(m.epochs), formatPercent(m.trainAccuracy), formatPercent(m.testAccuracy), formatDuration(m.trainingSeconds)];
    if (paper) cells.push(m.architecture in PAPER_CIFAR10_ERROR ? formatPercent(PAPER_CIFAR10_ERROR[m.architecture]!, 2) : '—');
    for (const text of cells) row.insertCell().textContent = text;
  }
  return table;
}
