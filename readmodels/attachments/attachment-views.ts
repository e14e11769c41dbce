import type { SqlExecutor } from '../../infra/sql/sql-client.js';
import { SqlAttachmentRecords } from './attachment-records.js';

/** PROTOCOL.md `Attachment`: `url` is a time-limited download URL issued when the message is read. */
export interface AttachmentView {
  key: string;
  filename: string;
  contentType: string;
  size: number;
  url: string;
}

/** Issues download URLs (the blob store's signer). */
export type DownloadLinks = (attachment: {
  key: string;
  filename: string;
  contentType: string;
}) => Promise<string>;

// Keyed by the read-model database the attachments feature wired: every message
// query of that app (messages, conversations' lastMessage, search, realtime) reads
// attachments through `toMessageViews`, which has only the database at hand.
const linksByDatabase = new WeakMap<SqlExecutor, DownloadLinks>();

/** Called once by the attachments feature: message views read through `db` carry full attachments. */
export function useDownloadLinks(db: SqlExecutor, links: DownloadLinks): void {
  linksByDatabase.set(db, links);
}

/**
 * The views of `keys`, by key. A key without a record (never granted) is left out
 * rather than shown half-known.
 *
 * Without the attachments feature wired on `db` (read-model tests, tools) there are
 * no records to join and each key is returned as `{ key }` alone. No client sees
 * that shape: without the feature, sending a message with keys is refused.
 */
export async function loadAttachmentViews(
  db: SqlExecutor,
  keys: readonly string[],
): Promise<Map<string, AttachmentView>> {
  const links = linksByDatabase.get(db);
  if (!links) return new Map(keys.map((key) => [key, { key } as AttachmentView]));
  const records = await new SqlAttachmentRecords(db).getMany([...new Set(keys)]);
  const views = await Promise.all(
    records.map(async (record): Promise<[string, AttachmentView]> => [
      record.key,
      {
        key: record.key,
        filename: record.filename,
        contentType: record.contentType,
        size: record.size,
        url: await links(record),
      },
    ]),
  );
  return new Map(views);
}
