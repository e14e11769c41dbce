import type { SqlClient } from '../../infra/sql/sql-client.js';
import type { Projection } from '../projection.js';
import type { NextVersionBuild } from './next-version-build.js';
import { catchUpShadow } from './shadow-catch-up.js';
import { createShadowSchema, dropShadowSchema } from './shadow-schema.js';
import { switchTables } from './table-switch.js';

/** Builds a SQL projection's next version in a shadow schema of its own, swapped in by `switchTables`. */
export async function startTablesBuild(sql: SqlClient, projection: Projection): Promise<NextVersionBuild> {
  const schema = await createShadowSchema(sql, projection);
  return {
    location: `schema ${schema}`,
    catchUp: (options) => catchUpShadow({ ...options, sql, schema }),
    switchOver: (plan) => switchTables(sql, projection, schema, plan),
    discard: () => dropShadowSchema(sql, schema),
  };
}
