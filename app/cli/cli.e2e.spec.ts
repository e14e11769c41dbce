import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registerUser, type RegisteredUser } from '../../test/support/api-client.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { runParley, type CliRun } from './testing/run-parley.js';

describe('the parley CLI', () => {
  let server: TestServer;
  let databaseUrl: string;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let conversationId: string;
  let messageId: string;
  /** `replay --json` of the conversation, run once: several tests read its times. */
  let replay: CliRun;
  let trail: any[];

  beforeAll(async () => {
    server = await startTestServer('postgres');
    databaseUrl = server.parley.infrastructure.config.DATABASE_URL!;
    const api = new ApiClient(server.baseUrl);
    alice = await registerUser(api, 'alice');
    bob = await registerUser(api, 'bob');
    const created = await alice.api.post('/v1/conversations', {
      kind: 'group',
      memberIds: [bob.id],
      title: 'audit',
    });
    expect(created.status).toBe(201);
    conversationId = created.body.id;
    const sent = await alice.api.post(`/v1/conversations/${conversationId}/messages`, {
      clientMsgId: randomUUID(),
      body: 'first draft',
    });
    expect(sent.status).toBe(201);
    messageId = sent.body.id;
    for (const body of ['second draft', 'final words']) {
      const edited = await alice.api.patch(`/v1/conversations/${conversationId}/messages/${messageId}`, {
        body,
      });
      expect(edited.status).toBe(200);
    }
    replay = await runParley(databaseUrl, 'replay', '--stream', `conversation-${conversationId}`, '--json');
    trail = replay.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
  });

  afterAll(async () => {
    await server?.close();
  });

  describe('replay', () => {
    it('shows each event of a stream with its actor and correlation id', () => {
      expect(replay.stderr).toBe('');
      expect(replay.code).toBe(0);
      const entries = trail;
      expect(entries.map((entry) => entry.type)).toEqual([
        'ConversationCreated',
        'MessageSent',
        'MessageEdited',
        'MessageEdited',
      ]);
      for (const entry of entries) {
        expect(entry.actorId).toBe(alice.id);
        expect(entry.correlationId).toEqual(expect.any(String));
        expect(Date.parse(entry.time)).not.toBeNaN();
      }
      expect(entries[1].data.body).toBe('first draft');
    });

    it('stops at --until', async () => {
      const sentAt = trail[1].time as string;
      const run = await runParley(
        databaseUrl,
        'replay',
        '--stream',
        `conversation-${conversationId}`,
        '--until',
        sentAt,
      );
      expect(run.code).toBe(0);
      const lines = run.stdout.trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[1]).toContain('MessageSent');
      expect(lines[1]).toContain(`actor=${alice.id}`);
    });
  });

  describe('conversation-at', () => {
    it('shows the body a message had between two edits', async () => {
      const [, , firstEdit, secondEdit] = trail;
      // Between the edits: the first edit's own time includes it and excludes the later one.
      expect(Date.parse(secondEdit.time)).toBeGreaterThan(Date.parse(firstEdit.time));

      const run = await runParley(databaseUrl, 'conversation-at', conversationId, firstEdit.time, '--json');
      expect(run.code).toBe(0);
      const conversation = JSON.parse(run.stdout);
      expect(conversation.title).toBe('audit');
      expect(conversation.members.map((member: { userId: string }) => member.userId).sort()).toEqual(
        [alice.id, bob.id].sort(),
      );
      expect(conversation.messages).toEqual([
        expect.objectContaining({ id: messageId, seq: 1, senderId: alice.id, body: 'second draft' }),
      ]);
    });

    it('fails with exit code 1 before the conversation existed', async () => {
      const run = await runParley(databaseUrl, 'conversation-at', conversationId, '2000-01-01T00:00:00Z');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('did not exist');
    });
  });

  describe('export-user', () => {
    it("contains the user's account, profile and messages, and no password hash", async () => {
      const [account] = await server.parley.infrastructure.sql.query<{ password_hash: string }>(
        'select password_hash from accounts where user_id = $1',
        [alice.id],
      );
      const run = await runParley(databaseUrl, 'export-user', alice.id);
      expect(run.code).toBe(0);
      const exported = JSON.parse(run.stdout);
      expect(exported.account).toEqual(
        expect.objectContaining({ userId: alice.id, username: alice.username }),
      );
      expect(exported.profileEvents.map((event: { type: string }) => event.type)).toContain('UserRegistered');
      expect(exported.conversations.map((conversation: { id: string }) => conversation.id)).toEqual([
        conversationId,
      ]);
      expect(exported.messages).toEqual([expect.objectContaining({ id: messageId, body: 'final words' })]);
      expect(run.stdout).not.toContain(account!.password_hash);
      expect(run.stdout).not.toMatch(/password/i);
    });
  });

  describe('projections list', () => {
    it('lists each projection with its checkpoint and lag', async () => {
      const run = await runParley(databaseUrl, 'projections', 'list', '--json');
      expect(run.code).toBe(0);
      const statuses = JSON.parse(run.stdout);
      expect(statuses.map((status: { name: string }) => status.name)).toEqual(
        expect.arrayContaining(['messages', 'conversations']),
      );
      for (const status of statuses) {
        expect(BigInt(status.checkpoint)).toBeGreaterThan(0n);
        expect(status).toEqual(expect.objectContaining({ parked: 0, lagEvents: expect.any(Number) }));
      }
    });
  });

  describe('migrate', () => {
    it('prepares an empty database that a server then starts on', async () => {
      const database = await createTestDatabase('cli_migrate');
      try {
        const run = await runParley(database.url, 'migrate');
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
        const second = await startTestServer('postgres', { DATABASE_URL: database.url });
        await second.close();
      } finally {
        await database.drop();
      }
    });
  });

  describe('bad usage', () => {
    it.each([
      [['replay'], '--stream is required'],
      [['conversation-at', 'not-a-uuid', '2025-01-01T00:00:00Z'], 'must be a UUID'],
      [['export-user'], 'missing user id'],
      [['projections'], 'missing subcommand'],
      [['frobnicate'], 'unknown command'],
      [['replay', '--stream', 'x', '--until', 'yesterday'], 'ISO-8601'],
    ])('parley %j exits 2 with a message', async (args, message) => {
      const run = await runParley(databaseUrl, ...args);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(message);
    });

    it('answers --help on every command with exit code 0', async () => {
      const run = await runParley(databaseUrl, 'export-user', '--help');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('parley export-user <user id>');
    });
  });
});
