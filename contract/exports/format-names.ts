/** The surface export formats by file extension (the writers are in formats.ts; this list loads nothing, for the CLI's help). */
export const SURFACE_EXPORT_NAMES = ['h5', 'vtp', 'obj', 'stl', 'npz', 'csv', 'json'] as const;
export type SurfaceExportName = (typeof SURFACE_EXPORT_NAMES)[number];
