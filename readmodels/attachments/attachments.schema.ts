import type { Migration } from '../../infra/sql/migrate.js';

/**
 * Attachment records: state, not a projection (an upload is not an event of any
 * stream). A row is written when an upload is granted; `uploaded_at` is set the first
 * time a message refers to the key and the blob store confirms the bytes exist.
 */
export const attachmentsMigrations: Migration[] = [
  {
    id: '001-attachments',
    sql: `
      create table attachments (
        key text primary key,
        uploader_id uuid not null,
        filename text not null,
        content_type text not null,
        size bigint not null,
        created_at timestamptz not null,
        uploaded_at timestamptz
      );
    `,
  },
];
