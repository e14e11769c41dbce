import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** The server the tests use; every test file gets a database of its own on it. */
export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Databases this process created and has not dropped yet. */
const undropped = new Set<string>();

const dropDatabase = (name: string) =>
  withAdmin((client) => client.query(`drop database if exists "${name}" with (force)`)).then(() => {
    undropped.delete(name);
  });

/**
 * Creates an empty database and returns its URL and a function that drops it, so
 * a test never depends on what an earlier run left behind.
 */
export async function createTestDatabase(label: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `parley_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomUUID().slice(0, 8)}`;
  await withAdmin((client) => client.query(`create database "${name}"`));
  undropped.add(name);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => dropDatabase(name) };
}

/** Drops every database this process created and still holds: for a run interrupted by a signal. */
export async function dropUndroppedDatabases(): Promise<void> {
  await Promise.allSettled([...undropped].map(dropDatabase));
}
