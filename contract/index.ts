export * from './errors.ts';
export * from './losses.ts';
export * from './parameters.ts';
export * from './tfjs-layers.ts';
export * from './datasets.ts';
export * from './models.ts';
export * from './surface.ts';
export * from './queue.ts';
