import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationCommands } from '../commands/conversations/conversation-commands.js';
import type { RecordedEvent } from '../infra/eventstore/event-store.js';
import { migrate } from '../infra/sql/migrate.js';
import type { SqlClient } from '../infra/sql/sql-client.js';
import { chatProjections } from './index.js';
import { seededRandom } from '../test/support/seeded-random.js';
import { openTestEngine, type EngineName, type TestEngine } from './testing/test-engine.js';

/**
 * A random chat history written through the real command side, so every event is
 * one the domain allows: sends in bursts (what batches are made of) between
 * edits, deletes, reactions, read markers and membership changes.
 */
async function writeRandomHistory(engine: TestEngine, seed: number): Promise<RecordedEvent[]> {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const users = Array.from({ length: 5 }, () => randomUUID());
  const owner = users[0]!;
  const commands = new ConversationCommands({
    eventStore: engine.eventStore,
    users: { existingUserIds: async (ids) => new Set(ids) },
    clock: () => new Date(),
    newId: randomUUID,
  });
  const conversations: { id: string; members: Set<string>; messages: string[] }[] = [];
  for (let index = 0; index < 3; index++) {
    const { conversationId } = await commands.createConversation(
      { kind: 'group', memberIds: users.slice(1, 4), title: `c${index}` },
      { actorId: owner },
    );
    conversations.push({ id: conversationId, members: new Set(users.slice(0, 4)), messages: [] });
  }
  for (let step = 0; step < 40; step++) {
    const conversation = pick(conversations);
    const actor = pick([...conversation.members]);
    const roll = random();
    const ignoreRefusals = (promise: Promise<unknown>) => promise.catch(() => undefined);
    if (roll < 0.5) {
      // A burst of concurrent sends from several members: group-committed into one append.
      const burst = 1 + Math.floor(random() * 8);
      const sent = await Promise.all(
        Array.from({ length: burst }, (_, index) =>
          commands.sendMessage(
            conversation.id,
            { clientMsgId: randomUUID(), body: `step ${step}.${index}` },
            { actorId: pick([...conversation.members]) },
          ),
        ),
      );
      conversation.messages.push(...sent.map((message) => message.messageId));
    } else if (roll < 0.6 && conversation.messages.length > 0) {
      await ignoreRefusals(
        commands.editMessage(conversation.id, pick(conversation.messages), `edited ${step}`, {
          actorId: actor,
        }),
      );
    } else if (roll < 0.68 && conversation.messages.length > 0) {
      await ignoreRefusals(
        commands.deleteMessage(conversation.id, pick(conversation.messages), { actorId: owner }),
      );
    } else if (roll < 0.8 && conversation.messages.length > 0) {
      await ignoreRefusals(
        commands.react(conversation.id, pick(conversation.messages), pick(['👍', '🎉']), random() < 0.7, {
          actorId: actor,
        }),
      );
    } else if (roll < 0.9) {
      await ignoreRefusals(commands.markRead(conversation.id, Math.floor(random() * 30), { actorId: actor }));
    } else if (roll < 0.95) {
      const outsider = users.find((user) => !conversation.members.has(user));
      if (outsider) {
        await commands.addMembers(conversation.id, [outsider], { actorId: owner });
        conversation.members.add(outsider);
      }
    } else {
      const leaver = [...conversation.members].find((user) => user !== owner);
      if (leaver) {
        await commands.removeMember(conversation.id, leaver, { actorId: owner });
        conversation.members.delete(leaver);
      }
    }
  }
  return engine.eventStore.readAll();
}

async function tables(sql: SqlClient) {
  const dump = (query: string) => sql.query(query);
  return {
    conversations: await dump('select * from conversations order by id'),
    members: await dump('select * from conversation_members order by conversation_id, user_id'),
    messages: await dump('select * from messages order by conversation_id, seq'),
    reactions: await dump('select * from message_reactions order by message_id, emoji, user_id'),
  };
}

describe.each<EngineName>(['pglite', 'postgres'])('batched projection writes on %s', (engineName) => {
  let source: TestEngine;
  let oneByOne: TestEngine;
  let batched: TestEngine;

  beforeAll(async () => {
    [source, oneByOne, batched] = await Promise.all([
      openTestEngine(engineName, 'batch_source'),
      openTestEngine(engineName, 'batch_single'),
      openTestEngine(engineName, 'batch_many'),
    ]);
    for (const target of [oneByOne, batched]) {
      for (const projection of chatProjections)
        await migrate(target.sql, `projection:${projection.name}`, projection.migrations);
    }
  });
  afterAll(async () => {
    await Promise.all([source, oneByOne, batched].map((engine) => engine?.close()));
  });

  it('leave the read models exactly as applying the events one at a time does', async () => {
    const events = await writeRandomHistory(source, 20261123);
    expect(events.filter((event) => event.type === 'MessageSent').length).toBeGreaterThan(40);

    await oneByOne.sql.transaction(async (tx) => {
      for (const event of events) {
        for (const projection of chatProjections) {
          if (projection.eventTypes.includes(event.type)) await projection.apply(tx, event);
        }
      }
    });
    // Batches of varying size, as the runner cuts them, so runs start and end everywhere.
    await batched.sql.transaction(async (tx) => {
      for (let start = 0, size = 1; start < events.length; start += size, size = (size % 13) + 1) {
        const batch = events.slice(start, start + size);
        for (const projection of chatProjections) {
          const mine = batch.filter((event) => projection.eventTypes.includes(event.type));
          if (mine.length === 0) continue;
          if (projection.applyBatch) await projection.applyBatch(tx, mine);
          else for (const event of mine) await projection.apply(tx, event);
        }
      }
    });

    const expected = await tables(oneByOne.sql);
    expect(expected.messages.length).toBeGreaterThan(40);
    expect(await tables(batched.sql)).toEqual(expected);
  });
});
