import type { Config } from '../infra/config/config.js';

/**
 * What one Parley process runs, so each part scales on its own
 * (`parley serve --role …`, or `PARLEY_ROLES`; none named: all of them).
 *
 * Which role runs what (every process has `/health`, `/ready`, `/metrics`, `/docs`
 * and runs the migrations, which are idempotent and serialized by an advisory lock):
 *
 * | piece                                                   | api | realtime | projector            |
 * | ------------------------------------------------------- | --- | -------- | -------------------- |
 * | auth plugin (JWT checks)                                | yes | yes      |                      |
 * | REST: auth, users, password reset                       | yes |          |                      |
 * | REST: conversations, messages, events, mute             | yes |          |                      |
 * | REST: attachments (and local-disk blob URLs), search    | yes |          |                      |
 * | `/v1/ws`: socket commands, live fan-out, sync,          |     | yes      |                      |
 * |   presence, typing, delivery receipts, heartbeat        |     |          |                      |
 * | projection runner (users, conversations, messages,      |     |          | yes, lock holder     |
 * |   search index…): the read models                       |     |          |                      |
 * | unread counters projector                               |     |          | yes, lock holder     |
 * | offline-notification digests (planner and sender)       |     |          | yes, lock holder     |
 *
 * "Lock holder": of all the processes with the projector role, only the one that
 * holds the projector lock (projections/runner/projector-lock.ts) runs these; the
 * others stand by and take over when it goes. Digests would be safe on every
 * instance (their planners take turns on a lock), and the unread counters tolerate
 * replays, but running them once is cheaper and keeps "who projects" one answer.
 *
 * Processes without the projector role still read their own writes: they wait on
 * the checkpoints the lock holder commits (projections/runner/checkpoint-watcher.ts).
 */
export type Role = Config['PARLEY_ROLES'][number];

export const ROLES: readonly Role[] = ['api', 'realtime', 'projector'];

export type Roles = ReadonlySet<Role>;

export const ALL_ROLES: Roles = new Set(ROLES);

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** `--role api --role realtime` and `--role api,realtime` alike; unknown names are returned apart. */
export function parseRoleList(values: readonly string[]): { roles: Role[]; unknown: string[] } {
  const names = values.flatMap((value) => value.split(',')).map((name) => name.trim().toLowerCase());
  const present = names.filter(Boolean);
  return {
    roles: [...new Set(present.filter(isRole))],
    unknown: present.filter((name) => !isRole(name)),
  };
}

/**
 * The roles this process runs. Embedded mode (PGlite: one process owns the data
 * folder) always runs every role, whatever was asked.
 */
export function resolveRoles(config: Pick<Config, 'PARLEY_ROLES'>, embedded: boolean): Roles {
  if (embedded || config.PARLEY_ROLES.length === 0) return ALL_ROLES;
  return new Set(config.PARLEY_ROLES);
}

/** In `ROLES` order, for logs and `/ready`. */
export function describeRoles(roles: Roles): Role[] {
  return ROLES.filter((role) => roles.has(role));
}
