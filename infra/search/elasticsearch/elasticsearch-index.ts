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

/** A `<alias>-v<n>` index, and whether the alias points at it now. */
export interface IndexVersion {
  index: string;
  version: number;
  live: boolean;
}

/** Every versioned index of `alias`, lowest version first. */
export async function listIndexVersions(client: Client, alias: string): Promise<IndexVersion[]> {
  // A wildcard matching nothing answers {} (allow_no_indices defaults to true).
  const indices = await client.indices.get({ index: `${alias}-v*` });
  const prefix = `${alias}-v`;
  return Object.entries(indices)
    .flatMap(([index, state]): IndexVersion[] => {
      const version = index.slice(prefix.length);
      // `<alias>-v*` also matches another alias's indices (`parley-v2-v1` for alias `parley`).
      if (!index.startsWith(prefix) || !/^\d+$/.test(version)) return [];
      return [{ index, version: Number(version), live: alias in (state.aliases ?? {}) }];
    })
    .sort((a, b) => a.version - b.version);
}

/**
 * Creates the index of the next version (for a rebuild to fill): one past the
 * highest existing version. Versions the alias does not point at are the leftovers
 * of a rebuild that crashed (the rebuild lease keeps two from running at once), so
 * they are deleted first. Returns the new index's name and the live ones' names.
 */
export async function createIndexVersion(
  client: Client,
  alias: string,
): Promise<{ index: string; live: string[] }> {
  const versions = await listIndexVersions(client, alias);
  const leftovers = versions.filter((version) => !version.live).map((version) => version.index);
  if (leftovers.length > 0) await client.indices.delete({ index: leftovers });
  const next = Math.max(0, ...versions.map((version) => version.version)) + 1;
  const index = versionedIndexName(alias, next);
  await client.indices.create({ index, mappings: MAPPINGS });
  return { index, live: versions.filter((version) => version.live).map((version) => version.index) };
}

/**
 * Points `alias` at `index` alone, atomically: searches never see no index or two,
 * and writes through the alias go to `index` from then on.
 */
export async function switchAlias(client: Client, alias: string, index: string): Promise<void> {
  await client.indices.updateAliases({
    actions: [
      { remove: { index: `${alias}-v*`, alias, must_exist: false } },
      { add: { index, alias, is_write_index: true } },
    ],
  });
}
