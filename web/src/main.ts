import './style.css';
import type { SurfaceRequest } from '../../contract/index.ts';
import { api } from './api.ts';
import { CompareView } from './compare.ts';
import { ComparisonList } from './comparison-list.ts';
import { parseLevelSpec, type LevelSpec } from './contours.ts';
import { createControls, type ViewSettings } from './controls.ts';
import { demoComparison } from './demo-comparison.ts';
import { DifferencePicker } from './difference-picker.ts';
import { EnsembleView } from './ensemble-view.ts';
import { Exporter, type ExportSource } from './exporter.ts';
import { JobForm } from './form.ts';
import { Messages } from './messages.ts';
import { Router, pageOf } from './router.ts';
import { SessionControls } from './session.ts';
import { SingleView, type SingleViewStyle } from './single-view.ts';
import { SurfaceList } from './surface-list.ts';
import type { CameraState } from './surface-view.ts';
import { THEMES, applyTheme, initialTheme, type ThemeName } from './theme.ts';
import type { ViewState } from './url-state.ts';

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** What browser tests reach for: where a grid point is on screen, and when rows first appeared. */
export interface LossAtlasHooks {
  projectGridPoint(ix: number, iy: number, view?: '3d' | '2d'): { x: number; y: number } | null;
  /** Checkpoint k of a PCA surface's training path, as drawn. */
  projectPathPoint(k: number, view: '3d' | '2d'): { x: number; y: number } | null;
  projectComparePoint(panel: number, ix: number, iy: number): { x: number; y: number } | null;
  currentSurface(): string | null;
  /** [A, B] of the difference view shown, or null. */
  currentDifference(): [string, string] | null;
  /** Whether an ensemble's median is shown. */
  ensembleMedianShown(): boolean;
  timeline: { submittedAt: number | null; firstRowsDrawnAt: number | null };
}

declare global {
  interface Window {
    lossAtlas: LossAtlasHooks;
  }
}

/**
 * The viewer page: builds the components once and wires them — the router opens pages, the form
 * starts surfaces, the view settings restyle whatever is shown. The components own their DOM.
 */
class App {
  private readonly router = new Router(() => void this.openPage());
  private readonly session = new SessionControls(element('messages'), element('session'));
  private readonly messages = new Messages(element('messages'), () => this.session.ask());
  private theme: ThemeName = initialTheme();
  private readonly settings: ViewSettings;
  private levels: LevelSpec | null = null;
  private readonly single: SingleView;
  /** The compare view of the page shown; rebuilt for every comparison opened, disposed when left. */
  private compare: CompareView | null = null;
  private readonly form: JobForm;
  private readonly surfaceList: SurfaceList;
  private readonly comparisonList: ComparisonList;
  private readonly differencePicker: DifferencePicker;
  private readonly ensemble: EnsembleView;
  private readonly timeline: LossAtlasHooks['timeline'] = { submittedAt: null, firstRowsDrawnAt: null };

  constructor() {
    applyTheme(this.theme);
    const state = this.router.state;
    this.settings = {
      colormap: state.colormap,
      scale: state.scale,
      epsilon: 0.1,
      clip: state.clip ?? 0,
      levels: state.levels ?? 'auto',
      isolinesOnSurface: true,
      isolinesOnBase: true,
      wireframe: state.wireframe,
      view: state.view,
      mapMode: 'filled',
    };
    this.levels = this.parseLevels(this.settings.levels);
    const showError = (error: unknown) => this.messages.error(error);
    this.single = new SingleView(this.style(), THEMES[this.theme], {
      camera: (camera) => this.onCamera(camera),
      error: showError,
      finished: () => {
        void this.refreshLists();
        void this.differencePicker.offer(this.single.record);
      },
      drawn: (computed) => {
        if (computed > 0 && this.timeline.submittedAt !== null && this.timeline.firstRowsDrawnAt === null) this.timeline.firstRowsDrawnAt = performance.now();
      },
    });
    if (state.camera) this.single.setCamera(state.camera);

    const exporter = new Exporter(() => this.exportSource(), () => this.messages.notice('Nothing to export yet.'));
    const controls = createControls(element('gui'), this.settings, () => this.onSettings(), {
      exportPng: () => exporter.png(),
      exportCsv: () => exporter.data('csv'),
      exportJson: () => exporter.data('json'),
      exportFile: (format) => exporter.server(format),
      copyLink: () => void navigator.clipboard?.writeText(location.href).then(() => this.messages.notice('Link copied.')),
      resetCamera: () => (this.compare ? this.compare.resetCamera() : this.single.resetCamera()),
    });
    this.surfaceList = new SurfaceList(element('surface-list'), element<HTMLButtonElement>('compare-selected'), {
      open: (id) => this.router.navigate({ surface: id, compare: [], difference: null }),
      compare: (ids) => this.router.navigate({ compare: ids, surface: null, difference: null }),
      error: showError,
    });
    this.comparisonList = new ComparisonList(element('comparison-list'), (surfaceIds) => {
      // As its link (compareQuery) and the report: a comparison opens on the log loss scale.
      this.settings.scale = 'log';
      controls.controllersRecursive().forEach((controller) => controller.updateDisplay());
      this.router.navigate({ compare: surfaceIds, surface: null, difference: null, scale: 'log' });
    });
    this.differencePicker = new DifferencePicker(element('difference-picker'), element<HTMLSelectElement>('difference-with'), {
      pick: (a, b) => this.router.navigate({ difference: [a, b], surface: null, compare: [] }),
      error: showError,
    });
    this.ensemble = new EnsembleView(element('difference-picker'), this.single, {
      step: (member) => this.router.navigate({ member }),
      error: showError,
    });
    this.form = new JobForm(element<HTMLFormElement>('job-form'), (request) => this.submit(request), showError);

    element('theme-toggle').addEventListener('click', () => this.toggleTheme());
    element('cancel-job').addEventListener('click', () => void this.single.cancel());
    element('refresh-surfaces').addEventListener('click', () => void this.refreshLists());
    element('compare-demo').addEventListener('click', () => void this.compareDemoNets());
    element('home-link').addEventListener('click', (event) => {
      event.preventDefault();
      this.router.navigate({ surface: null, compare: [], difference: null, ensemble: null, camera: null });
    });
    this.updateThemeButton();

    window.lossAtlas = {
      projectGridPoint: (ix, iy, view = '3d') => this.single.projectGridPoint(ix, iy, view),
      projectPathPoint: (k, view) => this.single.projectPathPoint(k, view),
      projectComparePoint: (panel, ix, iy) => this.compare?.projectGridPoint(panel, ix, iy) ?? null,
      currentSurface: () => this.single.id,
      currentDifference: () => this.single.differenceShown,
      ensembleMedianShown: () => this.single.staticShown,
      timeline: this.timeline,
    };
  }

  async start(): Promise<void> {
    await Promise.all([this.session.start(), this.form.load().catch((error) => this.messages.error(error)), this.refreshLists()]);
    await this.openPage();
  }

  private style(): SingleViewStyle {
    return {
      colormap: this.settings.colormap,
      scale: { scale: this.settings.scale, epsilon: this.settings.epsilon, clip: this.settings.clip > 0 ? this.settings.clip : null },
      levels: this.levels,
      isolinesOnSurface: this.settings.isolinesOnSurface,
      isolinesOnBase: this.settings.isolinesOnBase,
      wireframe: this.settings.wireframe,
      mapMode: this.settings.mapMode,
      view: this.settings.view,
    };
  }

  private parseLevels(text: string): LevelSpec | null {
    try {
      return parseLevelSpec(text);
    } catch (error) {
      this.messages.error(error);
      return this.levels;
    }
  }

  /** Shows the page of the router's state: intro, one surface, or a comparison. */
  private async openPage(): Promise<void> {
    const state: ViewState = this.router.state;
    const { page, problem } = pageOf(state);
    element('intro').hidden = page !== 'intro';
    element('single').hidden = page !== 'single' && page !== 'difference' && page !== 'ensemble';
    element('compare').hidden = page !== 'compare';
    // The settings panel goes where it covers neither the 2D map nor a color bar (style.css places it in each).
    (page === 'compare' ? element('compare') : page === 'intro' ? element('stage') : element('views')).append(element('gui'));
    this.compare?.dispose();
    this.compare = null;
    if (page !== 'ensemble') this.ensemble.close();
    if (page === 'compare') {
      this.single.close();
      this.compare = new CompareView(element('compare-panels'), element<HTMLCanvasElement>('compare-colorbar'), this.style(), THEMES[this.theme], {
        camera: (camera) => this.onCamera(camera),
        error: (error) => this.messages.error(error),
      });
      await this.compare.open(state.compare, state.camera);
      return;
    }
    if (page === 'ensemble') {
      void this.differencePicker.offer(null);
      this.surfaceList.highlight(null);
      await this.ensemble.open(state.ensemble!, state.member);
      return;
    }
    if (page === 'difference') {
      const [a, b] = state.difference!;
      void this.differencePicker.offer(null);
      const shown = this.single.differenceShown;
      if (shown?.[0] !== a || shown[1] !== b) await this.single.openDifference(a, b);
      this.surfaceList.highlight(null);
      return;
    }
    if (problem) this.messages.error(new Error(problem));
    if (state.surface && state.surface !== this.single.id) await this.single.open(state.surface);
    if (!state.surface) this.single.close();
    void this.differencePicker.offer(this.single.record);
    this.surfaceList.highlight(state.surface);
  }

  private exportSource(): ExportSource | null {
    const compare = this.compare;
    if (compare) return { fileStem: `compare-${this.router.state.compare.join('-')}`, snapshot: () => compare.snapshot(), feeds: () => compare.feeds() };
    const id = this.single.id;
    return id ? { fileStem: `surface-${id}`, snapshot: () => this.single.snapshot(), feeds: () => this.single.feeds() } : null;
  }

  private async refreshLists(): Promise<void> {
    await Promise.all([this.surfaceList.refresh(), this.comparisonList.refresh().catch((error) => this.messages.error(error))]);
  }

  private async submit(request: SurfaceRequest): Promise<void> {
    this.timeline.submittedAt = performance.now();
    this.timeline.firstRowsDrawnAt = null;
    const created = await api.createSurface(request);
    this.messages.clear();
    void this.refreshLists();
    if (created.kind === 'ensemble') this.router.navigate({ ensemble: created.id, member: null, surface: null, compare: [], difference: null });
    else this.router.navigate({ surface: created.id, compare: [], difference: null });
  }

  /** Opens the skip vs no-skip comparison of the demo nets with the form's settings, reusing a pair only when it has exactly those, and says which. */
  private async compareDemoNets(): Promise<void> {
    try {
      const { ids, started, message } = await demoComparison(this.form);
      if (started) void this.refreshLists();
      this.router.navigate({ compare: ids, surface: null, difference: null });
      this.messages.notice(message);
    } catch (error) {
      this.messages.error(error);
    }
  }

  private onSettings(): void {
    this.levels = this.parseLevels(this.settings.levels);
    const style = this.style();
    this.router.replace({
      colormap: this.settings.colormap,
      scale: this.settings.scale,
      clip: style.scale.clip,
      levels: this.levels ? this.settings.levels : null,
      view: this.settings.view,
      wireframe: this.settings.wireframe,
    });
    this.single.setStyle(style);
    this.compare?.setStyle(style);
  }

  private onCamera(camera: CameraState): void {
    this.router.replaceSoon({ camera });
  }

  private toggleTheme(): void {
    this.theme = this.theme === 'light' ? 'dark' : 'light';
    applyTheme(this.theme);
    const colors = THEMES[this.theme];
    this.single.setTheme(colors);
    this.compare?.setTheme(colors);
    this.updateThemeButton();
  }

  private updateThemeButton(): void {
    const button = element('theme-toggle');
    button.textContent = this.theme === 'light' ? 'Dark theme' : 'Light theme';
    button.setAttribute('aria-pressed', String(this.theme === 'dark'));
  }
}

void new App().start();
