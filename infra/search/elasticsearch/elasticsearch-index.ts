import { errors, type Client } from '@elastic/elasticsearch';

/** Bumped when the mapping changes: a new version is a new index, filled before the alias moves to it. */
export const INDEX_VERSION = 1;

/** The document of one message. A tombstone (deleted) has no body. */
export interface MessageDocument {
  messageId: string;
  conversationId: string;
  sentAt?: string;
  body?: string;
  deleted: boolean;
}

const MAPPINGS = {
  dynamic: 'strict' as const,
  properties: {
    messageId: { type: 'keyword' as const },
    conversationId: { type: 'keyword' as const },
    sentAt: { type: 'date' as const },
    body: { type: 'text' as const, analyzer: 'english' },
    deleted: { type: 'boolean' as const },
  },
};

export const versionedIndexName = (alias: string, version: number) => `${alias}-v${version}`;

export function statusOf(error: unknown): number | undefined {
  return error instanceof errors.ResponseError ? error.meta.statusCode : undefined;
}

/**
 * Makes sure `alias` points at an index: creates `<alias>-v<INDEX_VERSION>` with
 * the alias when there is none. Safe when several instances start at once.
 */
export async function ensureIndex(client: Client, alias: string): Promise<void> {
  if (await client.indices.existsAlias({ name: alias })) return;
  try {
    await client.indices.create({
      index: versionedIndexName(alias, INDEX_VERSION),
      mappings: MAPPINGS,
      aliases: { [alias]: { is_write_index: true } },
    });
  } catch (error) {
    // Another instance created it first.
    if (statusOf(error) !== 400 || !(await client.indices.existsAlias({ name: alias }))) throw error;
  }
}

/**
 * Creates the index of the next version (for a rebuild to fill) and returns its
 * name; `switchAlias` then moves searches to it in one atomic step.
 */
export async function createIndexVersion(client: Client, alias: string, version: number): Promise<string> {
  const index = versionedIndexName(alias, version);
  await client.indices.create({ index, mappings: MAPPINGS });
  return index;
}

/** Points `alias` at `index` alone, atomically: searches never see no index or two. */
export async function switchAlias(client: Client, alias: string, index: string): Promise<void> {
  await client.indices.updateAliases({
    actions: [
      { remove: { index: `${alias}-v*`, alias, must_exist: false } },
      { add: { index, alias, is_write_index: true } },
    ],
  });
}
