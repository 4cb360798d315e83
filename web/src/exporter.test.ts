import { describe, expect, it } from 'vitest';
import type { SurfaceRecord } from '../../contract/index.ts';
import { SERVER_FORMATS, serverExportUrl, surfaceFile } from './exporter.ts';
import { SURFACE_EXPORTS } from '../../contract/exports/formats.ts';
import type { SurfaceFeed } from './feed.ts';
import { createGrid } from './grid.ts';

const feed = {
  id: 'abc',
  status: 'completed',
  grid: createGrid({ min: 0, max: 1, num: 2 }, undefined, true),
  record: { request: { model: 'm' }, provenance: { loss: 'mse' } } as unknown as SurfaceRecord,
} as unknown as SurfaceFeed;

describe('surfaceFile', () => {
  it('names a surface file by its id and format, with the matching media type', () => {
    const csv = surfaceFile(feed, 'csv');
    expect([csv.fileName, csv.type]).toEqual(['surface-abc.csv', 'text/csv']);
    expect(csv.text.split('\n')[0]).toBe('ix,iy,alpha,beta,loss,accuracy,state');
    const json = surfaceFile(feed, 'json');
    expect([json.fileName, json.type]).toEqual(['surface-abc.json', 'application/json']);
    expect(JSON.parse(json.text)).toMatchObject({ id: 'abc', status: 'completed', request: { model: 'm' }, provenance: { loss: 'mse' }, kind: '1d', shape: [1, 2] });
  });
});

describe('serverExportUrl', () => {
  it('names the API export route of each file format the viewer offers, every one of which the API writes', () => {
    expect(serverExportUrl('a b', 'h5')).toBe('/api/v1/surfaces/a%20b/export.h5');
    for (const format of SERVER_FORMATS) expect(Object.keys(SURFACE_EXPORTS)).toContain(format);
  });
});
