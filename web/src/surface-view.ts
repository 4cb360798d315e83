import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { ticks } from 'd3-array';
import { colormapTable, linearTable, writeColor, type ColormapName } from './colormap.ts';
import { autoLevels, isolines, specLevels, type LevelSpec } from './contours.ts';
import { surfaceMarkers, type SurfaceGrid } from './grid.ts';
import { SURFACE_HEIGHT, buildHeightfield, coarseIndex, flatPositions, heightOf, isolinePositions, worldToIndex, type ColorField, type HeightfieldBuffers } from './heightfield.ts';
import { disposeTree, makeLabel } from './labels.ts';
import { finiteRange, lossTicks, normalize, transformGrid, transformValue, type ScaleOptions, type ValueRange } from './scale.ts';
import { formatNumber } from './format.ts';
import type { ThemeColors } from './theme.ts';
import { bilinear, PATH_COLOR, trajectoryPath, type PathPoint } from './trajectory.ts';
import type { Trajectory } from '../../contract/index.ts';

export interface SurfaceStyle {
  colormap: ColormapName;
  scale: ScaleOptions;
  /** Isoline levels; null = automatic. */
  levels: LevelSpec | null;
  isolinesOnSurface: boolean;
  isolinesOnBase: boolean;
  wireframe: boolean;
  /** What the heights show, for the z axis title: loss (default), or a difference of losses. */
  quantity?: string;
}

export interface CameraState {
  position: [number, number, number];
  target: [number, number, number];
}

export interface GridCursor {
  ix: number;
  iy: number;
}

/** Height of the base plane that carries the projected isolines, below the surface's lowest point (z = 0). */
const BASE_Z = -0.3;
/** The default view looks from the front right, above (matplotlib's 3D default elevation, about 30°). */
const DEFAULT_VIEW_DIRECTION = new THREE.Vector3(1, -1.25, 1.05).normalize();
const DEFAULT_TARGET = new THREE.Vector3(0, 0, 0.3);
/** Radius around DEFAULT_TARGET that holds the box, its tick labels and titles. */
const SCENE_RADIUS = 1.6;
const AUTO_LEVEL_COUNT = 14;
/** Vertices a CPU rasterizer turns smoothly; bigger surfaces are drawn coarser while the camera moves. */
const INTERACTIVE_VERTEX_BUDGET = 16_000;

let softwareRasterizerCache: boolean | null = null;

/**
 * Whether WebGL runs on a CPU rasterizer (SwiftShader, llvmpipe). MSAA is nearly free on a GPU but
 * halves the frame rate of a 251×251 surface on a CPU, so it is only asked for on real GPUs.
 */
function softwareRasterizer(): boolean {
  if (softwareRasterizerCache !== null) return softwareRasterizerCache;
  const gl = document.createElement('canvas').getContext('webgl2');
  const info = gl?.getExtension('WEBGL_debug_renderer_info');
  const renderer = gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : '';
  gl?.getExtension('WEBGL_lose_context')?.loseContext();
  softwareRasterizerCache = /swiftshader|llvmpipe|softpipe|software/i.test(renderer);
  return softwareRasterizerCache;
}

/**
 * One 3D surface: init / resize / render-on-demand in the style of the three.js examples. Data
 * updates reuse the geometry while the grid keeps its shape; everything rebuilt is disposed.
 */
export class SurfaceView {
  readonly canvas: HTMLCanvasElement;
  private readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly camera = new THREE.PerspectiveCamera(32, 1, 0.01, 100);
  private readonly controls: OrbitControls;
  private readonly raycaster = new THREE.Raycaster();
  private readonly resizeObserver: ResizeObserver;

  private readonly surfaceMaterial = new THREE.MeshLambertMaterial({
    vertexColors: true,
    side: THREE.DoubleSide,
    polygonOffset: true,
    polygonOffsetFactor: 1,
    polygonOffsetUnits: 1,
  });
  private readonly pendingMaterial = new THREE.MeshBasicMaterial({ color: 0x9a9a9a, side: THREE.DoubleSide, transparent: true, opacity: 0.55 });
  private surfaceMesh: THREE.Mesh | null = null;
  private pendingMesh: THREE.Mesh | null = null;
  /** The same vertices with fewer, wider cells; shown instead of surfaceMesh while the camera moves (null when not needed). */
  private coarseMesh: THREE.Mesh | null = null;
  private interacting = false;
  private readonly isolineGroup = new THREE.Group();
  private readonly axesGroup = new THREE.Group();
  private readonly markerGroup = new THREE.Group();
  private readonly pathGroup = new THREE.Group();
  private trajectory: Trajectory | null = null;
  private readonly cursorMarker: THREE.Mesh;
  private axesKey = '';

  private grid: SurfaceGrid | null = null;
  private buffers: HeightfieldBuffers | null = null;
  private displayed: Float32Array | null = null;
  private range: ValueRange | null = null;
  private sharedRange: ValueRange | null = null;
  private colorField: ColorField | null = null;
  private style: SurfaceStyle;
  private theme: ThemeColors;
  private colormapGpu: Float32Array;
  private renderRequested = false;
  private pickRequested = false;
  private lastPointer: { x: number; y: number } | null = null;
  private silentCameraChange = false;
  /** True until the user or a shared link moves the camera: resizes then keep the whole box in view. */
  private cameraFitted = true;

  constructor(
    private readonly container: HTMLElement,
    style: SurfaceStyle,
    theme: ThemeColors,
    private readonly events: { hover?(cursor: GridCursor): void; camera?(state: CameraState): void } = {},
  ) {
    this.style = style;
    this.theme = theme;
    this.colormapGpu = linearTable(colormapTable(style.colormap));
    this.surfaceMaterial.wireframe = style.wireframe;
    this.renderer = new THREE.WebGLRenderer({ antialias: !softwareRasterizer(), preserveDrawingBuffer: false });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
    this.canvas = this.renderer.domElement;
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', '3D loss surface; drag to rotate, wheel to zoom, arrow keys move the readout cursor');
    container.append(this.canvas);

    this.camera.up.set(0, 0, 1);
    this.controls = new OrbitControls(this.camera, this.canvas);
    this.controls.enableDamping = true;
    this.controls.dampingFactor = 0.12;
    this.controls.addEventListener('start', () => {
      this.cameraFitted = false;
      this.interacting = true;
    });
    this.controls.addEventListener('end', () => {
      this.interacting = false;
      this.requestRender();
    });
    this.controls.addEventListener('change', () => {
      this.requestRender();
      if (!this.silentCameraChange) this.events.camera?.(this.getCamera());
    });

    this.scene.add(new THREE.AmbientLight(0xffffff, 2.1));
    const sun = new THREE.DirectionalLight(0xffffff, 1.3);
    sun.position.set(1.5, -2, 3);
    this.scene.add(sun);
    this.cursorMarker = new THREE.Mesh(new THREE.SphereGeometry(0.022, 16, 12), new THREE.MeshBasicMaterial({ color: theme.accent }));
    this.cursorMarker.visible = false;
    this.scene.add(this.isolineGroup, this.axesGroup, this.markerGroup, this.pathGroup, this.cursorMarker);
    this.setTheme(theme);

    this.canvas.addEventListener('pointermove', (event) => {
      if (event.buttons !== 0) return;
      this.lastPointer = { x: event.clientX, y: event.clientY };
      if (!this.pickRequested) {
        this.pickRequested = true;
        requestAnimationFrame(() => this.pick());
      }
    });
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(container);
    this.resize();
  }

  setGrid(grid: SurfaceGrid | null): void {
    if (grid !== this.grid) this.axesKey = '';
    this.grid = grid;
    this.update();
  }

  /** The grid's values changed in place (chunks arrived): rebuild heights, colors, isolines, markers. */
  update(): void {
    const grid = this.grid;
    if (!grid || grid.kind !== '2d') {
      this.clearSurface();
      this.requestRender();
      return;
    }
    this.displayed = transformGrid(grid.loss, this.style.scale);
    this.range = this.sharedRange ?? finiteRange([this.displayed]) ?? { min: 0, max: 1 };
    this.buffers = buildHeightfield(grid, this.displayed, this.range, this.colormapGpu, this.buffers ?? undefined, this.colorField ?? undefined);
    this.syncGeometry(grid, this.buffers);
    this.rebuildIsolines(grid);
    this.rebuildMarkers(grid);
    this.rebuildPath(grid);
    this.rebuildAxes(grid);
    this.requestRender();
  }

  /** Colors the surface by another quantity than its heights (null: by the heights). */
  setColorField(field: ColorField | null): void {
    this.colorField = field;
    this.update();
  }

  /** A PCA surface's training path, drawn on the surface with its epochs (null: none). */
  setTrajectory(trajectory: Trajectory | null): void {
    this.trajectory = trajectory;
    this.update();
  }

  setStyle(style: SurfaceStyle): void {
    if (style.colormap !== this.style.colormap) this.colormapGpu = linearTable(colormapTable(style.colormap));
    if (style.scale !== this.style.scale) this.axesKey = '';
    this.style = style;
    this.surfaceMaterial.wireframe = style.wireframe;
    this.update();
  }

  /** A value range shared with other views (compare), or null for this surface's own range. */
  setSharedRange(range: ValueRange | null): void {
    this.sharedRange = range;
    this.axesKey = '';
  }

  /** The displayed (scaled, clipped) values and their range, for a shared color bar. */
  displayedRange(): ValueRange | null {
    return this.range;
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    this.scene.background = new THREE.Color(theme.background);
    (this.cursorMarker.material as THREE.MeshBasicMaterial).color.set(theme.accent);
    this.axesKey = '';
    if (this.grid) this.update();
    else this.requestRender();
  }

  setCursor(cursor: GridCursor | null): void {
    const position = cursor && this.worldPoint(cursor.ix, cursor.iy);
    this.cursorMarker.visible = position !== null;
    if (position) this.cursorMarker.position.copy(position).setZ(position.z + 0.012);
    this.requestRender();
  }

  getCamera(): CameraState {
    return { position: this.camera.position.toArray(), target: this.controls.target.toArray() };
  }

  /** Moves the camera without announcing it (used to follow another view). */
  setCamera(state: CameraState): void {
    this.cameraFitted = false;
    this.placeCamera(state);
  }

  private placeCamera(state: CameraState): void {
    this.silentCameraChange = true;
    this.camera.position.fromArray(state.position);
    this.controls.target.fromArray(state.target);
    this.controls.update();
    this.silentCameraChange = false;
    this.requestRender();
  }

  resetCamera(): void {
    this.cameraFitted = true;
    this.fitCamera();
    this.events.camera?.(this.getCamera());
  }

  /** The default direction, at the distance where the whole box fits the narrower field of view. */
  private fitCamera(): void {
    const vertical = THREE.MathUtils.degToRad(this.camera.fov);
    const horizontal = 2 * Math.atan(Math.tan(vertical / 2) * this.camera.aspect);
    const distance = SCENE_RADIUS / Math.sin(Math.min(vertical, horizontal) / 2);
    const position = DEFAULT_TARGET.clone().addScaledVector(DEFAULT_VIEW_DIRECTION, distance);
    this.placeCamera({ position: position.toArray(), target: DEFAULT_TARGET.toArray() });
  }

  requestRender(): void {
    if (this.renderRequested) return;
    this.renderRequested = true;
    requestAnimationFrame(() => this.render());
  }

  /** Window coordinates of a grid point on the surface (tests hover exactly there). */
  projectGridPoint(ix: number, iy: number): { x: number; y: number } | null {
    const world = this.worldPoint(ix, iy);
    if (!world) return null;
    const ndc = world.project(this.camera);
    const rect = this.canvas.getBoundingClientRect();
    return { x: rect.left + ((ndc.x + 1) / 2) * rect.width, y: rect.top + ((1 - ndc.y) / 2) * rect.height };
  }

  /** The current image (rendered now, since the drawing buffer is not preserved). */
  snapshot(): HTMLCanvasElement {
    this.renderer.render(this.scene, this.camera);
    const copy = document.createElement('canvas');
    copy.width = this.canvas.width;
    copy.height = this.canvas.height;
    copy.getContext('2d')!.drawImage(this.canvas, 0, 0);
    return copy;
  }

  dispose(): void {
    this.resizeObserver.disconnect();
    this.controls.dispose();
    this.clearSurface();
    disposeTree(this.axesGroup);
    this.cursorMarker.geometry.dispose();
    (this.cursorMarker.material as THREE.Material).dispose();
    this.surfaceMaterial.dispose();
    this.pendingMaterial.dispose();
    this.renderer.dispose();
    this.canvas.remove();
  }

  private render(): void {
    this.renderRequested = false;
    // With damping, update() keeps announcing "change" (and so requesting frames) until the motion settles.
    this.controls.update();
    if (this.coarseMesh && this.surfaceMesh) {
      this.coarseMesh.visible = this.interacting;
      this.surfaceMesh.visible = !this.interacting;
      // Isolines of a fine grid hold more vertices than the coarse surface; they return when the camera stops.
      this.isolineGroup.visible = !this.interacting;
    }
    this.renderer.render(this.scene, this.camera);
  }

  private resize(): void {
    const width = Math.max(1, this.container.clientWidth);
    const height = Math.max(1, this.container.clientHeight);
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    if (this.cameraFitted) this.fitCamera();
    this.requestRender();
  }

  private pick(): void {
    this.pickRequested = false;
    const grid = this.grid;
    if (!grid || !this.lastPointer || !this.surfaceMesh || !this.pendingMesh) return;
    const rect = this.canvas.getBoundingClientRect();
    const ndc = new THREE.Vector2(((this.lastPointer.x - rect.left) / rect.width) * 2 - 1, -((this.lastPointer.y - rect.top) / rect.height) * 2 + 1);
    this.raycaster.setFromCamera(ndc, this.camera);
    const [hit] = this.raycaster.intersectObjects([this.surfaceMesh, this.pendingMesh], false);
    if (!hit) return;
    const clamp = (value: number, count: number) => Math.min(count - 1, Math.max(0, Math.round(value)));
    this.events.hover?.({ ix: clamp(worldToIndex(hit.point.x, grid.nx), grid.nx), iy: clamp(worldToIndex(hit.point.y, grid.ny), grid.ny) });
  }

  private worldPoint(ix: number, iy: number): THREE.Vector3 | null {
    const grid = this.grid;
    if (!grid || !this.buffers || ix >= grid.nx || iy >= grid.ny) return null;
    const at = (iy * grid.nx + ix) * 3;
    return new THREE.Vector3(this.buffers.positions[at], this.buffers.positions[at + 1], this.buffers.positions[at + 2]);
  }

  private syncGeometry(grid: SurfaceGrid, buffers: HeightfieldBuffers): void {
    const current = this.surfaceMesh?.geometry;
    if (!current || current.getAttribute('position').array !== buffers.positions) {
      this.disposeMeshes();
      const surface = new THREE.BufferGeometry();
      surface.setAttribute('position', new THREE.BufferAttribute(buffers.positions, 3));
      surface.setAttribute('color', new THREE.BufferAttribute(buffers.colors, 3));
      surface.setIndex(new THREE.BufferAttribute(buffers.surfaceIndex, 1));
      const pending = new THREE.BufferGeometry();
      pending.setAttribute('position', new THREE.BufferAttribute(flatPositions(grid.nx, grid.ny), 3));
      pending.setIndex(new THREE.BufferAttribute(buffers.pendingIndex, 1));
      this.surfaceMesh = new THREE.Mesh(surface, this.surfaceMaterial);
      this.pendingMesh = new THREE.Mesh(pending, this.pendingMaterial);
      this.scene.add(this.surfaceMesh, this.pendingMesh);
    } else {
      current.getAttribute('position').needsUpdate = true;
      current.getAttribute('color').needsUpdate = true;
      current.index!.needsUpdate = true;
      this.pendingMesh!.geometry.index!.needsUpdate = true;
    }
    const surface = this.surfaceMesh!.geometry;
    surface.setDrawRange(0, buffers.surfaceIndexCount);
    surface.computeVertexNormals();
    surface.computeBoundingSphere();
    this.pendingMesh!.geometry.setDrawRange(0, buffers.pendingIndexCount);
    this.pendingMesh!.geometry.computeBoundingSphere();
    this.syncCoarseMesh(grid, surface);
  }

  private syncCoarseMesh(grid: SurfaceGrid, surface: THREE.BufferGeometry): void {
    const points = grid.nx * grid.ny;
    if (!softwareRasterizer() || points <= INTERACTIVE_VERTEX_BUDGET) return;
    const stride = Math.ceil(Math.sqrt(points / INTERACTIVE_VERTEX_BUDGET));
    const previous = this.coarseMesh?.geometry.index?.array as Uint32Array | undefined;
    const { index, count } = coarseIndex(grid, this.displayed!, stride, previous);
    if (!this.coarseMesh || index !== previous) {
      // Shares the full surface's attributes (and GPU buffers); disposed together with it.
      const coarse = new THREE.BufferGeometry();
      for (const name of ['position', 'normal', 'color']) coarse.setAttribute(name, surface.getAttribute(name));
      coarse.setIndex(new THREE.BufferAttribute(index, 1));
      if (this.coarseMesh) this.scene.remove(this.coarseMesh);
      this.coarseMesh = new THREE.Mesh(coarse, this.surfaceMaterial);
      this.coarseMesh.visible = false;
      this.scene.add(this.coarseMesh);
    } else {
      this.coarseMesh.geometry.index!.needsUpdate = true;
      // computeVertexNormals may have replaced the normal attribute of the full surface.
      this.coarseMesh.geometry.setAttribute('normal', surface.getAttribute('normal'));
    }
    this.coarseMesh.geometry.setDrawRange(0, count);
  }

  private disposeMeshes(): void {
    for (const mesh of [this.surfaceMesh, this.pendingMesh, this.coarseMesh]) {
      if (!mesh) continue;
      mesh.geometry.dispose();
      this.scene.remove(mesh);
    }
    this.surfaceMesh = null;
    this.pendingMesh = null;
    this.coarseMesh = null;
  }

  private clearSurface(): void {
    this.disposeMeshes();
    this.buffers = null;
    disposeTree(this.isolineGroup);
    disposeTree(this.markerGroup);
    disposeTree(this.pathGroup);
    this.cursorMarker.visible = false;
  }

  /** Window coordinates of checkpoint k of the path on the surface; null when it lies outside the grid. */
  projectPathPoint(k: number): { x: number; y: number } | null {
    const point = this.grid && this.trajectory ? trajectoryPath(this.trajectory, this.grid)[k] : undefined;
    const world = point && this.pathWorldPoint(point);
    if (!world) return null;
    const ndc = world.project(this.camera);
    const rect = this.canvas.getBoundingClientRect();
    return { x: rect.left + ((ndc.x + 1) / 2) * rect.width, y: rect.top + ((1 - ndc.y) / 2) * rect.height };
  }

  /** A path point on the surface (its height interpolated between the grid points), lifted a little; null outside the grid. */
  private pathWorldPoint(point: PathPoint): THREE.Vector3 | null {
    const grid = this.grid;
    if (!grid || !this.buffers || !point.inside) return null;
    const x = grid.nx > 1 ? -1 + (2 * point.u) / (grid.nx - 1) : 0;
    const y = grid.ny > 1 ? -1 + (2 * point.v) / (grid.ny - 1) : 0;
    return new THREE.Vector3(x, y, bilinear(this.buffers.positions, 3, 2, grid.nx, grid.ny, point.u, point.v) + 0.015);
  }

  /** The path over the surface: a line through the checkpoints inside the grid, a dot at each, its epoch beside some. */
  private rebuildPath(grid: SurfaceGrid): void {
    disposeTree(this.pathGroup);
    if (!this.trajectory) return;
    const material = new THREE.LineBasicMaterial({ color: PATH_COLOR });
    let run: THREE.Vector3[] = [];
    const flush = () => {
      if (run.length > 1) this.pathGroup.add(new THREE.Line(new THREE.BufferGeometry().setFromPoints(run), material));
      run = [];
    };
    for (const point of trajectoryPath(this.trajectory, grid)) {
      const world = this.pathWorldPoint(point);
      if (!world) {
        flush();
        continue;
      }
      run.push(world);
      const dot = new THREE.Mesh(new THREE.SphereGeometry(0.02, 12, 8), new THREE.MeshBasicMaterial({ color: PATH_COLOR }));
      dot.position.copy(world);
      this.pathGroup.add(dot);
      if (point.labelled) {
        const label = makeLabel(`epoch ${point.epoch}`, this.theme.foreground, 0.07, 'left');
        label.position.set(world.x + 0.03, world.y, world.z + 0.05);
        this.pathGroup.add(label);
      }
    }
    flush();
  }

  private rebuildIsolines(grid: SurfaceGrid): void {
    disposeTree(this.isolineGroup);
    const range = this.range!;
    const { scale } = this.style;
    if (!this.style.isolinesOnSurface && !this.style.isolinesOnBase) return;
    const levels = this.style.levels ? specLevels(this.style.levels) : autoLevels(range, scale, AUTO_LEVEL_COUNT);
    const lines = isolines(this.displayed!, grid.nx, grid.ny, levels, scale);
    if (lines.length === 0) return;
    if (this.style.isolinesOnSurface) {
      const geometry = new THREE.BufferGeometry();
      geometry.setAttribute('position', new THREE.BufferAttribute(isolinePositions(lines, grid.nx, grid.ny, range, { lift: 0.002 }), 3));
      this.isolineGroup.add(new THREE.LineSegments(geometry, new THREE.LineBasicMaterial({ color: this.theme.isoline, transparent: true, opacity: 0.5 })));
    }
    if (this.style.isolinesOnBase) {
      const positions = isolinePositions(lines, grid.nx, grid.ny, range, { fixedZ: BASE_Z + 0.001 });
      const colors = new Float32Array(positions.length);
      let k = 0;
      for (const line of lines) {
        for (let i = 0; i < line.segments.length / 2; i++, k += 3) writeColor(this.colormapGpu, normalize(line.value, range), colors, k);
      }
      const geometry = new THREE.BufferGeometry();
      geometry.setAttribute('position', new THREE.BufferAttribute(positions, 3));
      geometry.setAttribute('color', new THREE.BufferAttribute(colors, 3));
      this.isolineGroup.add(new THREE.LineSegments(geometry, new THREE.LineBasicMaterial({ vertexColors: true })));
    }
  }

  private rebuildMarkers(grid: SurfaceGrid): void {
    disposeTree(this.markerGroup);
    for (const marker of surfaceMarkers(grid)) {
      const position = this.worldPoint(marker.ix, marker.iy)!;
      const dot = new THREE.Mesh(new THREE.SphereGeometry(0.028, 16, 12), new THREE.MeshBasicMaterial({ color: marker.color }));
      dot.position.copy(position).setZ(position.z + 0.01);
      const ring = new THREE.Mesh(new THREE.SphereGeometry(0.036, 16, 12), new THREE.MeshBasicMaterial({ color: '#000000', side: THREE.BackSide }));
      ring.position.copy(dot.position);
      const stemGeometry = new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(position.x, position.y, BASE_Z), dot.position.clone()]);
      const stem = new THREE.Line(stemGeometry, new THREE.LineBasicMaterial({ color: this.theme.muted, transparent: true, opacity: 0.6 }));
      // Light on a dark halo, whatever the theme: the surface under it is any color of the map.
      // Each label reads away from the other marker (surfaceMarkers), so neighbours keep them apart.
      const leftward = !marker.labelSide.right;
      const label = makeLabel(marker.label, '#ffffff', 0.09, leftward ? 'right' : 'left', '#000000');
      label.position.set(position.x + (leftward ? -0.04 : 0.04), position.y, position.z + 0.08);
      this.markerGroup.add(dot, ring, stem, label);
    }
  }

  private rebuildAxes(grid: SurfaceGrid): void {
    const range = this.range!;
    const key = [grid.x[0], grid.x[grid.nx - 1], grid.y[0], grid.y[grid.ny - 1], range.min, range.max, this.style.scale.scale, this.style.scale.epsilon, this.style.quantity, this.theme.background].join('|');
    if (key === this.axesKey) return;
    this.axesKey = key;
    disposeTree(this.axesGroup);
    const lines: number[] = [];
    const gridLines: number[] = [];
    const segment = (target: number[], a: [number, number, number], b: [number, number, number]) => target.push(...a, ...b);
    const corners: [number, number][] = [[-1, -1], [1, -1], [1, 1], [-1, 1], [-1, -1]];
    for (let i = 0; i < 4; i++) segment(lines, [...corners[i], BASE_Z], [...corners[i + 1], BASE_Z]);
    segment(lines, [1, 1, BASE_Z], [1, 1, SURFACE_HEIGHT]);

    const xMin = grid.x[0];
    const xMax = grid.x[grid.nx - 1];
    const yMin = grid.y[0];
    const yMax = grid.y[grid.ny - 1];
    const toWorld = (value: number, min: number, max: number) => -1 + (2 * (value - min)) / (max - min);
    for (const alpha of ticks(xMin, xMax, 5)) {
      const x = toWorld(alpha, xMin, xMax);
      segment(lines, [x, -1, BASE_Z], [x, -1.05, BASE_Z]);
      segment(gridLines, [x, -1, BASE_Z], [x, 1, BASE_Z]);
      this.axesGroup.add(this.label(formatNumber(alpha, 3), [x, -1.17, BASE_Z]));
    }
    for (const beta of ticks(yMin, yMax, 5)) {
      const y = toWorld(beta, yMin, yMax);
      segment(lines, [1, y, BASE_Z], [1.05, y, BASE_Z]);
      segment(gridLines, [-1, y, BASE_Z], [1, y, BASE_Z]);
      this.axesGroup.add(this.label(formatNumber(beta, 3), [1.18, y, BASE_Z]));
    }
    this.axesGroup.add(this.label('α', [0, -1.4, BASE_Z], 0.14), this.label('β', [1.4, 0, BASE_Z], 0.14));
    for (const loss of lossTicks(range, this.style.scale, 5)) {
      const z = heightOf(transformValue(loss, this.style.scale), range);
      segment(lines, [1, 1, z], [1.04, 1.04, z]);
      this.axesGroup.add(this.label(formatNumber(loss, 3), [1.07, 1.07, z], 0.085, 'left'));
    }
    const quantity = this.style.quantity ?? 'loss';
    const zTitle = this.style.scale.scale === 'log' ? `${quantity} (log, ε=${this.style.scale.epsilon})` : quantity;
    // Ends at the z axis and runs inward, so the default view never cuts it at the canvas edge.
    this.axesGroup.add(this.label(zTitle, [1, 1, SURFACE_HEIGHT + 0.14], 0.095, 'right'));

    const lineGeometry = new THREE.BufferGeometry();
    lineGeometry.setAttribute('position', new THREE.Float32BufferAttribute(lines, 3));
    const gridGeometry = new THREE.BufferGeometry();
    gridGeometry.setAttribute('position', new THREE.Float32BufferAttribute(gridLines, 3));
    this.axesGroup.add(
      new THREE.LineSegments(lineGeometry, new THREE.LineBasicMaterial({ color: this.theme.muted })),
      new THREE.LineSegments(gridGeometry, new THREE.LineBasicMaterial({ color: this.theme.grid, transparent: true, opacity: 0.6 })),
    );
  }

  private label(text: string, at: [number, number, number], height = 0.085, align: 'center' | 'left' | 'right' = 'center'): THREE.Sprite {
    const sprite = makeLabel(text, this.theme.foreground, height, align);
    sprite.position.set(...at);
    return sprite;
  }
}
