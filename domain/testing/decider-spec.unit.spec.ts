import { describe, expect, it } from 'vitest';

import type { Decider } from '../decider.js';
import { deciderSpec } from './decider-spec.js';

/** A counter that refuses to go below zero: just enough to exercise the spec helper. */
type Event = { type: 'Added'; data: { by: number } };
const counter: Decider<{ add: number }, number, Event, { max: number }> = {
  initialState: () => 0,
  evolve: (total, event) => total + event.data.by,
  decide: ({ add }, total, { max }) => {
    if (total + add < 0 || total + add > max) throw new RangeError('out of range');
    return add === 0 ? [] : [{ type: 'Added', data: { by: add } }];
  },
};
const spec = deciderSpec(counter, { max: 10 });
const added = (by: number): Event => ({ type: 'Added', data: { by } });

describe('the decider spec helper', () => {
  it('folds the given events before deciding', () => {
    spec
      .given([added(4), added(5)])
      .when({ add: 1 })
      .then([added(1)]);
    spec
      .given([added(4), added(5)])
      .when({ add: 2 })
      .thenThrows(RangeError);
  });

  it('lets one command use another context', () => {
    spec
      .given([added(9)])
      .when({ add: 5 }, { max: 20 })
      .then([added(5)]);
  });

  it('fails when the decided events differ', () => {
    expect(() =>
      spec
        .given([])
        .when({ add: 1 })
        .then([added(2)]),
    ).toThrow();
  });

  it('fails when nothing is thrown, or something else is', () => {
    expect(() => spec.given([]).when({ add: 1 }).thenThrows(RangeError)).toThrow(/expected RangeError/);
    expect(() => spec.given([]).when({ add: 1 }, { max: 0 }).thenThrows(TypeError)).toThrow();
  });

  it('passes the thrown error to a check', () => {
    expect(() =>
      spec
        .given([])
        .when({ add: -1 })
        .thenThrows(RangeError, (error) => expect(error.message).toBe('something else')),
    ).toThrow();
  });
});
