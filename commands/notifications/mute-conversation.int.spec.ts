import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../domain/errors.js';
import { createSqlConversationMutes } from '../../infra/notifications/sql.conversation-mutes.js';
import { migrate } from '../../infra/sql/migrate.js';
import { createPostgresClient } from '../../infra/sql/postgres.sql-client.js';
import type { SqlClient } from '../../infra/sql/sql-client.js';
import { notificationsMigrations } from '../../projections/notifications/notifications.schema.js';
import { isMember } from '../../readmodels/conversations/conversations.query.js';
import { conversationsMigrations } from '../../readmodels/conversations/conversations.schema.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { handleMuteConversation } from './mute-conversation.handler.js';

describe('muting a conversation', () => {
  let database: { url: string; drop(): Promise<void> };
  let sql: SqlClient;
  let muteConversation: ReturnType<typeof handleMuteConversation>;

  // The read models and mutes as the app wires them, on the test server (PGlite starts too slowly per mutant).
  beforeAll(async () => {
    database = await createTestDatabase('mute_conversation');
    sql = createPostgresClient({ connectionString: database.url, max: 2 });
    await migrate(sql, 'conversations', conversationsMigrations);
    await migrate(sql, 'notifications', notificationsMigrations);
    muteConversation = handleMuteConversation({
      mutes: createSqlConversationMutes(sql),
      isMember: (userId, conversationId) => isMember(sql, userId, conversationId),
    });
  });
  afterAll(async () => {
    await sql?.close();
    await database?.drop();
  });

  /** A membership as the conversations projection writes it. */
  async function member(conversationId = randomUUID()) {
    const userId = randomUUID();
    await sql.query(
      `insert into conversation_members (conversation_id, user_id, role, joined_at, joined_rev, joined_index)
       values ($1, $2, 'member', now(), 0, 0)`,
      [conversationId, userId],
    );
    return { userId, conversationId };
  }

  async function mutesOf(userId: string): Promise<string[]> {
    const rows = await sql.query<{ conversation_id: string }>(
      'select conversation_id from conversation_mutes where user_id = $1 order by conversation_id',
      [userId],
    );
    return rows.map((row) => row.conversation_id);
  }

  describe('as a member', () => {
    it('mutes the conversation for that member only', async () => {
      const { userId, conversationId } = await member();
      const other = await member(conversationId);
      await muteConversation({ userId, conversationId, muted: true });
      expect(await mutesOf(userId)).toEqual([conversationId]);
      expect(await mutesOf(other.userId)).toEqual([]);
    });

    it('mutes twice as once', async () => {
      const { userId, conversationId } = await member();
      await muteConversation({ userId, conversationId, muted: true });
      await expect(muteConversation({ userId, conversationId, muted: true })).resolves.toBeUndefined();
      expect(await mutesOf(userId)).toEqual([conversationId]);
    });

    it('unmutes a muted conversation', async () => {
      const { userId, conversationId } = await member();
      await muteConversation({ userId, conversationId, muted: true });
      await muteConversation({ userId, conversationId, muted: false });
      expect(await mutesOf(userId)).toEqual([]);
    });

    it('unmutes a conversation that was not muted without complaint', async () => {
      const { userId, conversationId } = await member();
      await expect(muteConversation({ userId, conversationId, muted: false })).resolves.toBeUndefined();
      expect(await mutesOf(userId)).toEqual([]);
    });
  });

  describe('as anyone else', () => {
    it('answers not found and mutes nothing', async () => {
      const { conversationId } = await member();
      const outsider = randomUUID();
      const refusal = muteConversation({ userId: outsider, conversationId, muted: true });
      await expect(refusal).rejects.toBeInstanceOf(NotFoundError);
      await expect(refusal).rejects.toThrow('conversation not found');
      expect(await mutesOf(outsider)).toEqual([]);
    });

    it('answers not found to an unmute and leaves a mute kept from before leaving', async () => {
      const { userId, conversationId } = await member();
      await muteConversation({ userId, conversationId, muted: true });
      await sql.query('delete from conversation_members where user_id = $1', [userId]);
      await expect(muteConversation({ userId, conversationId, muted: false })).rejects.toBeInstanceOf(
        NotFoundError,
      );
      expect(await mutesOf(userId)).toEqual([conversationId]);
    });
  });
});
