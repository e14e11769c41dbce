import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageSent } from '../../domain/conversation/conversation.events.js';
import type { DomainEvent } from '../../domain/events.registry.js';
import { chatProjections } from '../../projections/index.js';
import { ProjectionRunner } from '../../projections/runner/projection-runner.js';
import { searchProjection } from '../../projections/search/search.projection.js';
import {
  conversationCreated,
  conversationStream,
  memberRemoved,
  membersAdded,
  messageDeleted,
  messageEdited,
  messageSent,
} from '../../projections/testing/chat-events.js';
import { appendDomainEvents } from '../../projections/testing/domain-events.js';
import type { TestEngine } from '../../projections/testing/test-engine.js';
import type { MessageSearchIndex, SearchRequest } from './message-search-index.js';

export interface SearchConformanceTarget {
  /** The event store and the read-model database the chat projections fill (membership lives there). */
  engine: TestEngine;
  index: MessageSearchIndex;
  close(): Promise<void>;
}

const at = (minute: number) => new Date(Date.UTC(2030, 0, 1, 0, minute)).toISOString();

/** Inputs a user could type that mean nothing special, or try to break out of the query. */
export const HOSTILE_QUERIES = [
  `'`,
  `"`,
  `"unterminated phrase`,
  `'; drop table message_search; --`,
  `rocket' or '1'='1`,
  `& | ! ( ) : *`,
  `rocket & !launch | (a:*)`,
  `\\`,
  `\\\\' \\"`,
  `$1 $$ $body$`,
  `<script>alert(1)</script>`,
  `{"query":{"match_all":{}}}`,
  `*:*`,
  `-`,
  `or`,
  `rocket or`,
  `-rocket`,
  `a`.repeat(500),
  `\u0000 rocket \u0001 \u0002`,
  `rocket~2 ro?ket "rocket launch"~3 +rocket^4`,
];

/**
 * The `MessageSearchIndex` contract, run against each engine: events go through
 * the real projection runner (the chat projections for membership, the search
 * projection into `index`), and the index is queried directly.
 */
export function describeMessageSearchConformance(
  engineLabel: string,
  open: () => Promise<SearchConformanceTarget>,
): void {
  describe(`message search index (${engineLabel})`, () => {
    let target: SearchConformanceTarget;
    let runner: ProjectionRunner;
    const alice = randomUUID();
    const bob = randomUUID();
    const mallory = randomUUID();

    beforeAll(async () => {
      target = await open();
      runner = new ProjectionRunner({
        sql: target.engine.sql,
        eventStore: target.engine.eventStore,
        projections: [...chatProjections, searchProjection(target.index)],
        retry: { attempts: 1, baseDelayMs: 1 },
      });
      await runner.start();
    });
    afterAll(async () => {
      await runner?.stop();
      await target?.close();
    });

    async function append(conversationId: string, events: readonly DomainEvent[]): Promise<void> {
      const { position } = await appendDomainEvents(
        target.engine.eventStore,
        conversationStream(conversationId),
        events,
      );
      if (!(await runner.waitForPosition(position))) throw new Error(`projections did not reach ${position}`);
      const parked = await target.engine.sql.query<{ error: string }>('select error from projection_parked');
      if (parked.length > 0) throw new Error(`an event was parked: ${parked[0]!.error}`);
      await target.index.settle();
    }

    /** A new conversation of alice and bob with these messages (bodies), oldest first. */
    async function conversationWith(...bodies: string[]): Promise<{ id: string; sent: MessageSent[] }> {
      const id = randomUUID();
      const sent = bodies.map((body, index) =>
        messageSent({ seq: index + 1, senderId: alice, sentAt: at(index + 1), body }),
      );
      await append(id, [
        conversationCreated({ conversationId: id, owner: alice, others: [bob], at: at(0) }),
        ...sent,
      ]);
      return { id, sent };
    }

    const search = (request: Partial<SearchRequest> & { text: string }) =>
      target.index.search({ userId: alice, limit: 20, ...request });
    const ids = async (request: Partial<SearchRequest> & { text: string }) =>
      (await search(request)).map((hit) => hit.messageId);

    describe('finding', () => {
      it('finds a sent message by a word of it, with the word marked in the highlight', async () => {
        const word = `zebra${randomUUID().slice(0, 8)}`;
        const { id, sent } = await conversationWith(`the ${word} escaped again`);
        const hits = await search({ text: word });
        expect(hits.map(({ messageId, conversationId }) => ({ messageId, conversationId }))).toEqual([
          { messageId: sent[0]!.data.messageId, conversationId: id },
        ]);
        expect(hits[0]?.highlight).toBe(`the <mark>${word}</mark> escaped again`);
      });

      it('ranks by relevance, then by recency', async () => {
        const { sent } = await conversationWith(
          'quasar flare today',
          'a quasar was seen last night, and much later in the story came news of a flare',
          'quasar twin',
          'quasar twin',
        );
        const [close, far] = sent;
        expect(await ids({ text: 'quasar flare' })).toEqual([close!.data.messageId, far!.data.messageId]);
        const [, , older, newer] = sent;
        expect(await ids({ text: 'quasar twin' })).toEqual([newer!.data.messageId, older!.data.messageId]);
      });

      it('keeps to the limit and to the conversation asked for', async () => {
        const first = await conversationWith('nebula one', 'nebula two', 'nebula three');
        const second = await conversationWith('nebula four');
        expect(await ids({ text: 'nebula', limit: 2 })).toHaveLength(2);
        expect(await ids({ text: 'nebula', conversationId: second.id })).toEqual([
          second.sent[0]!.data.messageId,
        ]);
        expect(await ids({ text: 'nebula', conversationId: first.id })).toHaveLength(3);
      });

      it('escapes the body in the highlight, so only its <mark> is markup', async () => {
        await conversationWith(`<script>alert("pulsar")</script> pulsar & co`);
        const [hit] = await search({ text: 'pulsar' });
        expect(hit?.highlight).toContain('<mark>pulsar</mark>');
        expect(hit?.highlight.replace(/<\/?mark>/g, '')).not.toMatch(/[<>"]/);
      });
    });

    describe('membership', () => {
      it('finds nothing in conversations the user is not a member of', async () => {
        await conversationWith('comet secret');
        expect(await ids({ text: 'comet secret', userId: mallory })).toEqual([]);
        expect(await ids({ text: 'comet secret', userId: bob })).toHaveLength(1);
      });

      it('follows membership as it is now: joining finds old messages, leaving stops finding them', async () => {
        const { id } = await conversationWith('asteroid belt');
        await append(id, [membersAdded([mallory], alice, at(10))]);
        expect(await ids({ text: 'asteroid belt', userId: mallory })).toHaveLength(1);
        await append(id, [memberRemoved(mallory, mallory, at(11))]);
        expect(await ids({ text: 'asteroid belt', userId: mallory })).toEqual([]);
      });
    });

    describe('edits and deletes', () => {
      it('finds an edited message by its new text only', async () => {
        const { id, sent } = await conversationWith('meteor shower');
        await append(id, [messageEdited(sent[0]!, 'galaxy cluster', at(20))]);
        expect(await ids({ text: 'meteor' })).toEqual([]);
        const [hit] = await search({ text: 'galaxy' });
        expect(hit).toMatchObject({ messageId: sent[0]!.data.messageId });
        expect(hit?.highlight).toContain('<mark>galaxy</mark>');
      });

      it('never finds a deleted message again, even after an older event is replayed', async () => {
        const { id, sent } = await conversationWith('eclipse tonight');
        const message = sent[0]!;
        await append(id, [
          messageEdited(message, 'eclipse tomorrow', at(20)),
          messageDeleted(message, alice, at(21)),
        ]);
        expect(await ids({ text: 'eclipse' })).toEqual([]);
        const { messageId, body, sentAt } = message.data;
        await target.engine.sql.transaction(async (tx) => {
          await target.index.indexMessages(tx, [
            { messageId, conversationId: id, revision: 1, body, sentAt },
          ]);
          await target.index.reindexBody(tx, {
            messageId,
            conversationId: id,
            revision: 2,
            body: 'eclipse again',
          });
          await target.index.reindexBody(tx, {
            messageId,
            conversationId: id,
            revision: 9,
            body: 'eclipse later',
          });
        });
        await target.index.settle();
        expect(await ids({ text: 'eclipse' })).toEqual([]);
      });

      it('a delete that arrives before its message keeps the message out', async () => {
        const messageId = randomUUID();
        const { id } = await conversationWith();
        await target.engine.sql.transaction(async (tx) => {
          await target.index.removeMessage(tx, { messageId, conversationId: id, revision: 5 });
          await target.index.indexMessages(tx, [
            { messageId, conversationId: id, revision: 4, body: 'aurora', sentAt: at(1) },
          ]);
        });
        await target.index.settle();
        expect(await ids({ text: 'aurora' })).toEqual([]);
      });

      it('ignores writes not newer than what it holds (idempotent by revision)', async () => {
        const { id, sent } = await conversationWith('orbit decay');
        const { messageId, sentAt } = sent[0]!.data;
        await target.engine.sql.transaction(async (tx) => {
          await target.index.reindexBody(tx, {
            messageId,
            conversationId: id,
            revision: 7,
            body: 'orbit stable',
          });
          await target.index.indexMessages(tx, [
            { messageId, conversationId: id, revision: 1, body: 'orbit decay', sentAt },
            { messageId, conversationId: id, revision: 0, body: 'orbit older', sentAt },
          ]);
          await target.index.reindexBody(tx, {
            messageId,
            conversationId: id,
            revision: 7,
            body: 'orbit lost',
          });
          await target.index.reindexBody(tx, {
            messageId,
            conversationId: id,
            revision: 6,
            body: 'orbit lost',
          });
        });
        await target.index.settle();
        expect(await ids({ text: 'orbit' })).toEqual([messageId]);
        expect(await ids({ text: 'stable' })).toEqual([messageId]);
        expect(await ids({ text: 'decay' })).toEqual([]);
        expect(await ids({ text: 'lost' })).toEqual([]);
      });
    });

    describe('queries', () => {
      it('reads quoted phrases, or and -word as a web search does', async () => {
        const { sent } = await conversationWith('saturn rings shine', 'rings of saturn', 'jupiter moons');
        const [rings, ofSaturn, jupiter] = sent.map((message) => message.data.messageId);
        expect(new Set(await ids({ text: 'saturn rings' }))).toEqual(new Set([rings, ofSaturn]));
        expect(await ids({ text: '"saturn rings"' })).toEqual([rings]);
        expect(new Set(await ids({ text: 'jupiter or shine' }))).toEqual(new Set([rings, jupiter]));
        expect(await ids({ text: 'saturn -shine' })).toEqual([ofSaturn]);
      });

      it('answers any input without an error', async () => {
        await conversationWith('rocket launch');
        for (const text of HOSTILE_QUERIES) {
          await expect(search({ text }), text).resolves.toBeInstanceOf(Array);
        }
      });
    });
  });
}
