import { describe, expect, it } from 'vitest';
import { loadConfig } from '../infra/config/config.js';
import { describeRoles, parseRoleList, resolveRoles } from './roles.js';

describe('roles', () => {
  it('reads repeated --role flags and comma lists alike, once each', () => {
    expect(parseRoleList(['api', 'realtime,Projector', ' api '])).toEqual({
      roles: ['api', 'realtime', 'projector'],
      unknown: [],
    });
    expect(parseRoleList(['api,worker'])).toEqual({ roles: ['api'], unknown: ['worker'] });
  });

  it('runs every role when none is named, and what PARLEY_ROLES names otherwise', () => {
    expect(describeRoles(resolveRoles(loadConfig({}), false))).toEqual(['api', 'realtime', 'projector']);
    expect(describeRoles(resolveRoles(loadConfig({ PARLEY_ROLES: 'projector,api' }), false))).toEqual([
      'api',
      'projector',
    ]);
  });

  it('runs every role in embedded mode, whatever was asked', () => {
    expect(describeRoles(resolveRoles(loadConfig({ PARLEY_ROLES: 'api' }), true))).toEqual([
      'api',
      'realtime',
      'projector',
    ]);
  });

  it('stops at start on a role it does not know, naming the variable', () => {
    expect(() => loadConfig({ PARLEY_ROLES: 'api,worker' })).toThrow(/PARLEY_ROLES/);
  });
});
