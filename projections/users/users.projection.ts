import { decodeEvent } from '../../domain/events.registry.js';
import type { RecordedEvent } from '../../infra/eventstore/event-store.js';
import type { SqlExecutor } from '../../infra/sql/sql-client.js';
import { usersReadModelMigrations } from '../../readmodels/users/users.schema.js';
import type { Projection } from '../projection.js';

const USER_STREAM_PREFIX = 'user-';

function schemaVersionOf(event: RecordedEvent): number {
  const version = event.metadata.schemaVersion;
  return typeof version === 'number' ? version : 1;
}

/**
 * The `users` read model: one row per registered user with their public profile.
 * Each write is idempotent (an insert that ignores a known id, an update that sets
 * a value), so applying an event twice leaves the same row.
 */
export const usersProjection: Projection = {
  name: 'users',
  version: 1,
  eventTypes: ['UserRegistered', 'UserProfileUpdated'],
  migrations: usersReadModelMigrations,
  tables: ['users'],

  async apply(tx: SqlExecutor, event: RecordedEvent): Promise<void> {
    if (!event.stream.startsWith(USER_STREAM_PREFIX)) return;
    const decoded = decodeEvent(event.type, schemaVersionOf(event), event.data);
    switch (decoded.type) {
      case 'UserRegistered': {
        const { userId, username, displayName, registeredAt } = decoded.data;
        await tx.query(
          `insert into users (id, username, display_name, created_at) values ($1, $2, $3, $4)
           on conflict (id) do nothing`,
          [userId, username, displayName, registeredAt],
        );
        return;
      }
      case 'UserProfileUpdated':
        // The event does not repeat the user's id: the stream names the user.
        await tx.query('update users set display_name = $2 where id = $1', [
          event.stream.slice(USER_STREAM_PREFIX.length),
          decoded.data.displayName,
        ]);
        return;
      default:
        return;
    }
  },
};
