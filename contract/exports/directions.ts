import { zipSync } from 'fflate';
import type { ParameterInfo } from '../parameters.ts';
import { writeH5 } from './h5.ts';
import { npy } from './npy.ts';

/** A surface's directions with the parameter model they are laid out in (flat, parameter-model order). */
export interface DirectionsExport {
  parameters: ParameterInfo[];
  x: Float32Array;
  y: Float32Array | null;
  /** 'weights': only trainable tensors are written (the reference's net.parameters()); 'states': every tensor (its state_dict). */
  mode: string;
  provenance: unknown;
}

function writtenTensors(d: DirectionsExport): ParameterInfo[] {
  return d.mode === 'states' ? d.parameters : d.parameters.filter((p) => p.trainable);
}

function axes(d: DirectionsExport): [string, Float32Array][] {
  return d.y ? [['xdirection', d.x], ['ydirection', d.y]] : [['xdirection', d.x]];
}

/**
 * The reference's direction file (net_plotter.setup_direction → h5_util.write_list): groups
 * `xdirection` (and `ydirection`), each holding datasets "0", "1", … in parameter order with the
 * tensor's shape. Each dataset also carries an attribute `name` (the parameter's name), which
 * the reference ignores and Loss Atlas' import uses to map tensors by name.
 */
export function directionsToH5(d: DirectionsExport): Promise<Uint8Array> {
  const tensors = writtenTensors(d);
  return writeH5((file) => {
    for (const [group, values] of axes(d)) {
      const g = file.create_group(group);
      tensors.forEach((p, i) => {
        g.create_dataset({ name: String(i), data: values.slice(p.offset, p.offset + p.size), shape: p.shape });
        (g.get(String(i)) as unknown as { create_attribute(name: string, value: string): void }).create_attribute('name', p.name);
      });
    }
    file.create_attribute('provenance', JSON.stringify(d.provenance));
  });
}

/** np.load-able: members `xdirection/<parameter name>` (and `ydirection/…`) float32 with each tensor's shape, in parameter order. */
export function directionsToNpz(d: DirectionsExport): Uint8Array {
  const members: Record<string, Uint8Array> = {};
  for (const [group, values] of axes(d)) {
    for (const p of writtenTensors(d)) members[`${group}/${p.name}.npy`] = npy(values.slice(p.offset, p.offset + p.size), p.shape);
  }
  members['provenance.npy'] = npy(JSON.stringify(d.provenance));
  return zipSync(members, { level: 6 });
}
