import { describe, expect, it } from 'vitest';
import type { MemberStatus } from '../../contract/comparisons.ts';
import { comparisonListItems, compareSurfaceIds, type ComparisonSummary } from './comparison-list.ts';
import { parseViewState } from './url-state.ts';

const member = (label: string, status: MemberStatus, surfaceId: string | null) => ({ label, status, surfaceId });

describe('comparison list', () => {
  it('links a finished comparison to its report and to all its surfaces in 3D', () => {
    const comparison: ComparisonSummary = {
      id: 'demo-resnets-fashion',
      name: 'Skip connections vs depth at full width',
      status: 'completed',
      members: [member('resnet20', 'completed', 's1'), member('resnet20-noshort', 'completed', 's2'), member('resnet56', 'completed', 's3')],
    };
    const [item] = comparisonListItems([comparison]);
    expect(item).toEqual({
      id: 'demo-resnets-fashion',
      title: 'Skip connections vs depth at full width',
      status: 'completed',
      members: [
        { label: 'resnet20', status: null },
        { label: 'resnet20-noshort', status: null },
        { label: 'resnet56', status: null },
      ],
      reportHref: 'report.html?id=demo-resnets-fashion',
      compareIds: ['s1', 's2', 's3'],
      compareHref: '/?compare=s1,s2,s3&scale=log',
    });
    // The viewer reads the link back as the same surfaces, on the report's log loss scale.
    expect(parseViewState(item!.compareHref!.slice(1))).toMatchObject({ compare: ['s1', 's2', 's3'], scale: 'log' });
  });

  it('a running comparison shows its member statuses, and no 3D link before 2 members have a surface', () => {
    const running: ComparisonSummary = {
      id: '0123456789abcdef',
      name: null,
      status: 'running',
      members: [member('mlp', 'mapping', 's1'), member('cnn', 'training', null), member('rnn', 'pending', null)],
    };
    const [item] = comparisonListItems([running]);
    expect(item!.title).toBe('Comparison 01234567');
    expect(item!.members).toEqual([
      { label: 'mlp', status: 'mapping' },
      { label: 'cnn', status: 'training' },
      { label: 'rnn', status: 'pending' },
    ]);
    expect(item!.compareIds).toEqual([]);
    expect(item!.compareHref).toBeNull();
  });

  it('a failed comparison names the members that failed and opens the surfaces that exist', () => {
    const failed: ComparisonSummary = {
      id: 'c2',
      name: 'with a failure',
      status: 'failed',
      members: [member('a', 'completed', 's1'), member('b', 'failed', null), member('c', 'completed', 's3')],
    };
    const [item] = comparisonListItems([failed]);
    expect(item!.members.map((m) => m.status)).toEqual([null, 'failed', null]);
    expect(item!.compareHref).toBe('/?compare=s1,s3&scale=log');
  });

  it('opens at most 6 surfaces, and escapes the id in the report link', () => {
    const members = Array.from({ length: 8 }, (_, k) => member(`m${k}`, 'completed', `s${k}`));
    expect(compareSurfaceIds(members)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5']);
    const [item] = comparisonListItems([{ id: 'a&b', name: 'x', status: 'completed', members }]);
    expect(item!.reportHref).toBe('report.html?id=a%26b');
  });
});
