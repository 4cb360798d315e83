import { intAttribute, stringAttribute } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { cloneWith, reshape } from './support.ts';

/**
 * DepthToSpace and SpaceToDepth: permutations of a tensor's entries, so each one's tangent is the
 * same operator on the tangent, and its cotangent the inverse permutation. SpaceToDepth inverts
 * DepthToSpace in DCR mode; CRD mode is inverted by its reshape and transpose written out.
 */

export const depthToSpaceRules: OpRules = {
  vjp: ({ g, node, dy }) => {
    const x = node.inputs[0]!;
    const blocksize = intAttribute(node, 'blocksize', 0);
    const shape = g.shape(x);
    if (stringAttribute(node, 'mode', 'DCR') === 'DCR') return [g.emit('SpaceToDepth', [dy[0]!], { blocksize }, shape)];
    // CRD: x [N, C·b·b, H, W] → [N, C, b, b, H, W] → transpose [0, 1, 4, 2, 5, 3] → y; back by the inverse permutation.
    const [n, cbb, h, w] = shape as [number, number, number, number];
    const c = cbb / (blocksize * blocksize);
    const spaced = reshape(g, dy[0]!, [n, c, h, blocksize, w, blocksize]);
    const blocks = g.emit('Transpose', [spaced], { perm: [0, 1, 3, 5, 2, 4] }, [n, c, blocksize, blocksize, h, w]);
    return [reshape(g, blocks, shape)];
  },
  jvp: ({ g, node, dx }) => [cloneWith(g, node, [dx[0]!])],
};

export const spaceToDepthRules: OpRules = {
  vjp: ({ g, node, dy }) => [g.emit('DepthToSpace', [dy[0]!], { blocksize: intAttribute(node, 'blocksize', 0), mode: 'DCR' }, g.shape(node.inputs[0]!))],
  jvp: ({ g, node, dx }) => [cloneWith(g, node, [dx[0]!])],
};
