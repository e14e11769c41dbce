import type { Client } from '@elastic/elasticsearch';
import type { MessageSearchIndex, NextIndexVersion } from '../message-search-index.js';
import { createIndexVersion, statusOf, switchAlias } from './elasticsearch-index.js';

const NOT_FOUND = 404;

/**
 * Creates `<alias>-v<next>` beside the live version, with `indexOn` giving the
 * index operations on it. Promoting it refreshes it first (a document written but
 * not refreshed would be missing from the first searches after the move), then moves
 * the alias in one atomic step, then deletes the versions the alias left.
 */
export async function createNextIndexVersion(
  client: Client,
  alias: string,
  indexOn: (target: string) => MessageSearchIndex,
): Promise<NextIndexVersion> {
  const { index, live } = await createIndexVersion(client, alias);
  return {
    index: indexOn(index),
    async promote() {
      await client.indices.refresh({ index });
      await switchAlias(client, alias, index);
      // Only after the move: until then every search still reads the old version.
      if (live.length > 0) await deleteIndices(client, live);
    },
    discard: () => deleteIndices(client, [index]),
  };
}

/** Deletes `indices`; one already gone counts as deleted. */
async function deleteIndices(client: Client, indices: string[]): Promise<void> {
  try {
    await client.indices.delete({ index: indices, ignore_unavailable: true });
  } catch (error) {
    if (statusOf(error) !== NOT_FOUND) throw error;
  }
}
