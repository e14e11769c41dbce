import type { SqlExecutor } from '../../infra/sql/sql-client.js';
import { toIso } from '../sql-values.js';

/** One granted upload: who may use the key, and what the bytes are. */
export interface AttachmentRecord {
  key: string;
  uploaderId: string;
  filename: string;
  contentType: string;
  size: number;
  createdAt: string;
  /** Set once the bytes were seen in the blob store; null until then. */
  uploadedAt: string | null;
}

interface AttachmentRow {
  key: string;
  uploader_id: string;
  filename: string;
  content_type: string;
  size: number | string;
  created_at: Date;
  uploaded_at: Date | null;
}

const toRecord = (row: AttachmentRow): AttachmentRecord => ({
  key: row.key,
  uploaderId: row.uploader_id,
  filename: row.filename,
  contentType: row.content_type,
  size: Number(row.size),
  createdAt: toIso(row.created_at),
  uploadedAt: row.uploaded_at === null ? null : toIso(row.uploaded_at),
});

/** The `attachments` table (`attachments.schema.ts`). */
export class SqlAttachmentRecords {
  constructor(private readonly db: SqlExecutor) {}

  async add(record: Omit<AttachmentRecord, 'uploadedAt'>): Promise<void> {
    await this.db.query(
      `insert into attachments (key, uploader_id, filename, content_type, size, created_at)
       values ($1, $2, $3, $4, $5, $6)`,
      [record.key, record.uploaderId, record.filename, record.contentType, record.size, record.createdAt],
    );
  }

  /** The records of `keys` that exist, in no particular order. */
  async getMany(keys: readonly string[]): Promise<AttachmentRecord[]> {
    if (keys.length === 0) return [];
    const rows = await this.db.query<AttachmentRow>(`select * from attachments where key = any($1::text[])`, [
      keys,
    ]);
    return rows.map(toRecord);
  }

  /** Idempotent: the first confirmation's time stays. */
  async markUploaded(key: string, at: string): Promise<void> {
    await this.db.query(`update attachments set uploaded_at = coalesce(uploaded_at, $2) where key = $1`, [
      key,
      at,
    ]);
  }
}
