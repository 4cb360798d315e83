import GUI from 'lil-gui';
import { COLORMAP_NAMES, type ColormapName } from './colormap.ts';
import type { MapMode } from './heatmap.ts';
import { SERVER_FORMATS, type ServerFormat } from './exporter.ts';

/** What the view panel controls; the URL carries colormap, scale, clip, levels, view and wireframe. */
export interface ViewSettings {
  colormap: ColormapName;
  scale: 'linear' | 'log';
  /** log(loss + epsilon); the reference's --log uses 0.1. */
  epsilon: number;
  /** Maximum loss drawn; 0 = no clip. */
  clip: number;
  /** "auto" or min:max:step in loss units. */
  levels: string;
  isolinesOnSurface: boolean;
  isolinesOnBase: boolean;
  wireframe: boolean;
  view: '3d' | '2d';
  mapMode: MapMode;
}

export interface ViewActions {
  exportPng(): void;
  exportCsv(): void;
  exportJson(): void;
  /** A finished surface as the API writes it (h5, npz, VTP, OBJ, STL). */
  exportFile(format: ServerFormat): void;
  copyLink(): void;
  resetCamera(): void;
}

/** The lil-gui panel: every change calls `changed` with the whole settings object. */
export function createControls(host: HTMLElement, settings: ViewSettings, changed: (settings: ViewSettings) => void, actions: ViewActions): GUI {
  const gui = new GUI({ container: host, title: 'View settings & export' });
  const notify = () => changed(settings);
  gui.add(settings, 'colormap', COLORMAP_NAMES).name('colormap').onChange(notify);
  gui.add(settings, 'scale', ['linear', 'log']).name('scale').onChange(notify);
  gui.add(settings, 'epsilon', 1e-6, 1).name('log ε').onFinishChange(notify);
  gui.add(settings, 'clip', 0).name('clip at loss (0 = off)').onFinishChange(notify);
  gui.add(settings, 'levels').name('levels min:max:step').onFinishChange(notify);
  gui.add(settings, 'isolinesOnSurface').name('isolines on surface').onChange(notify);
  gui.add(settings, 'isolinesOnBase').name('isolines on base').onChange(notify);
  gui.add(settings, 'wireframe').name('wireframe').onChange(notify);
  gui.add(settings, 'view', { '3D surface': '3d', '2D map': '2d' }).name('main view').onChange(notify);
  gui.add(settings, 'mapMode', { heatmap: 'heatmap', 'filled contours': 'filled' }).name('2D map').onChange(notify);
  const files = gui.addFolder('Export & share');
  files.add(actions, 'exportPng').name('PNG of the view');
  files.add(actions, 'exportCsv').name('CSV of the surface');
  files.add(actions, 'exportJson').name('JSON of the surface');
  const file = { format: SERVER_FORMATS[0] as ServerFormat, download: () => actions.exportFile(file.format) };
  files.add(file, 'format', { 'h5 (reference layout)': 'h5', npz: 'npz', 'VTP (ParaView)': 'vtp', OBJ: 'obj', STL: 'stl' }).name('file format');
  files.add(file, 'download').name('download file of the surface');
  files.add(actions, 'copyLink').name('copy link to this view');
  gui.add(actions, 'resetCamera').name('reset camera');
  // Closed, the panel is one title bar and leaves the views uncovered.
  gui.close();
  return gui;
}
