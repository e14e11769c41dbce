/**
 * A projection whose state lives outside SQL, for testing the external rebuild
 * path where Elasticsearch cannot run: message texts in memory, one map per
 * version, the live one chosen by a pointer as an index alias chooses its index.
 * Writes are idempotent by revision and deletes are final, as the search index's.
 */
import type { RecordedEvent } from '../../../infra/eventstore/event-store.js';
import type { Projection, RebuildTarget } from '../../projection.js';
import { decodeRecorded } from '../../recorded-events.js';

/** A message's text as stored, `null` once deleted, with the revision that wrote it. */
export interface StoredText {
  revision: number;
  body: string | null;
}

export type TextMap = Map<string, StoredText>;

export class VersionedMemoryStore {
  readonly versions = new Map<number, TextMap>([[1, new Map()]]);
  liveVersion = 1;
  /** Events a version refuses (the new version's bug, in a test): the rebuild parks them for it. */
  refuse: (version: number, event: RecordedEvent) => boolean = () => false;

  get live(): TextMap {
    return this.versions.get(this.liveVersion)!;
  }
}

/** The live projection: writes through the store's live pointer, like a write through an alias. */
export function memoryTextsProjection(store: VersionedMemoryStore): Projection {
  return {
    ...textsProjectionOn(store, () => store.liveVersion),
    async rebuildTarget(): Promise<RebuildTarget> {
      const version = Math.max(...store.versions.keys()) + 1;
      store.versions.set(version, new Map());
      return {
        projection: textsProjectionOn(store, () => version),
        async promote() {
          const old = store.liveVersion;
          store.liveVersion = version;
          store.versions.delete(old);
        },
        async discard() {
          store.versions.delete(version);
        },
      };
    },
  };
}

/** Applies `events` to an empty map: what a version holds when it has seen exactly them. */
export function replayTexts(events: readonly RecordedEvent[]): TextMap {
  const texts: TextMap = new Map();
  for (const event of events) applyText(texts, event);
  return texts;
}

function textsProjectionOn(store: VersionedMemoryStore, version: () => number): Projection {
  return {
    name: 'memory-texts',
    version: 1,
    eventTypes: ['MessageSent', 'MessageEdited', 'MessageDeleted'],
    migrations: [],
    tables: [],
    async apply(_tx, event) {
      const target = version();
      if (store.refuse(target, event)) throw new Error(`version ${target} refuses ${event.type}`);
      const texts = store.versions.get(target);
      if (!texts) throw new Error(`version ${target} is gone`);
      applyText(texts, event);
    },
  };
}

function applyText(texts: TextMap, event: RecordedEvent): void {
  const decoded = decodeRecorded(event);
  if (decoded.type !== 'MessageSent' && decoded.type !== 'MessageEdited' && decoded.type !== 'MessageDeleted')
    return;
  const { messageId } = decoded.data;
  const stored = texts.get(messageId);
  // Idempotent by revision; a deleted text never comes back.
  if (stored && (stored.revision >= event.revision || stored.body === null)) return;
  if (decoded.type === 'MessageSent')
    texts.set(messageId, { revision: event.revision, body: decoded.data.body });
  else if (decoded.type === 'MessageEdited') {
    if (stored) texts.set(messageId, { revision: event.revision, body: decoded.data.body });
  } else texts.set(messageId, { revision: event.revision, body: null });
}
