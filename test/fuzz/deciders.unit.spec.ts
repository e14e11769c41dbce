/**
 * Random command sequences over the conversation, receipts and user deciders,
 * with hostile values (unicode edge cases, unknown ids, outsiders, odd seqs).
 * domain/**\/*.properties.unit.spec.ts checks seqs for well-behaved sends and
 * outsiders one command at a time; this throws every command type at one
 * evolving state and checks what must hold after any history:
 * - decide throws only the domain's typed errors, and never changes the state;
 * - every decided event is valid against its registered schema;
 * - seqs are 1..n without gaps, each message keeps its seq;
 * - a clientMsgId is used once: the sender's retry writes nothing, anyone else's is a conflict;
 * - only members act, only managers manage, only authors edit, and a group with members has one owner;
 * - read markers only move forward, never past the last seq.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConversationCommand } from '../../domain/conversation/conversation.commands.js';
import { decide, evolve, initialState } from '../../domain/conversation/conversation.decider.js';
import type { ConversationEvent } from '../../domain/conversation/conversation.events.js';
import type {
  ConversationState,
  ExistingConversation,
} from '../../domain/conversation/conversation.state.js';
import { ConflictError, DomainError, NotFoundError } from '../../domain/errors.js';
import { eventRegistry } from '../../domain/events.registry.js';
import { evolveReceipts, initialReceiptsState, markRead } from '../../domain/receipts/receipts.decider.js';
import { userDecider } from '../../domain/user/user.decider.js';
import type { UserCommand } from '../../domain/user/user.commands.js';
import { hostileText } from './hostile-values.js';

const RUNS = Number(process.env.FUZZ_DECIDER_RUNS ?? 300);
const MAX_MEMBERS = 5;
const now = new Date('2026-03-01T12:00:00.000Z');
const conversationId = '0c000000-0000-4000-8000-000000000001';
const people = Array.from({ length: 4 }, (_, n) => `0a000000-0000-4000-8000-00000000000${n}`);
/** Message ids and client keys come from small pools, so retries and collisions happen. */
const messageIds = Array.from({ length: 5 }, (_, n) => `11000000-0000-4000-8000-00000000000${n}`);
const clientMsgIds = Array.from({ length: 8 }, (_, n) => `c1000000-0000-4000-8000-00000000000${n}`);

const person = fc.constantFrom(...people);
const messageId = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...messageIds) },
  { weight: 1, arbitrary: fc.uuid() },
);
const body = fc.oneof(
  { weight: 2, arbitrary: hostileText },
  { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constant('x'.repeat(10_001)) },
);
const title = fc.option(fc.oneof(hostileText, fc.constant('t'.repeat(201))), { nil: null });

const createConversation = fc.record({
  type: fc.constant('CreateConversation' as const),
  data: fc.record({
    actorId: person,
    conversationId: fc.constant(conversationId),
    kind: fc.constantFrom('direct' as const, 'group' as const),
    memberIds: fc.uniqueArray(person, { maxLength: 4 }),
    title,
  }),
});

const plausibleCreation = fc.record({
  type: fc.constant('CreateConversation' as const),
  data: fc.record({
    actorId: person,
    conversationId: fc.constant(conversationId),
    kind: fc.constant('group' as const),
    memberIds: fc.uniqueArray(person, { minLength: 1, maxLength: 3 }),
    title: fc.constantFrom(null, 'Team'),
  }),
});

const conversationCommand: fc.Arbitrary<ConversationCommand> = fc.oneof(
  createConversation,
  fc.record({
    type: fc.constant('AddMembers' as const),
    data: fc.record({ actorId: person, userIds: fc.array(person, { maxLength: 4 }) }),
  }),
  fc.record({
    type: fc.constant('RemoveMember' as const),
    data: fc.record({ actorId: person, userId: person }),
  }),
  fc.record({
    type: fc.constant('RenameConversation' as const),
    data: fc.record({ actorId: person, title }),
  }),
  {
    weight: 5,
    arbitrary: fc.record({
      type: fc.constant('SendMessage' as const),
      data: fc.record({
        actorId: person,
        messageId,
        clientMsgId: fc.constantFrom(...clientMsgIds),
        body,
        attachments: fc.array(fc.oneof(fc.constant(''), fc.string({ maxLength: 8 })), { maxLength: 3 }),
        replyTo: fc.option(messageId, { nil: null }),
      }),
    }),
  },
  fc.record({
    type: fc.constant('EditMessage' as const),
    data: fc.record({ actorId: person, messageId, body }),
  }),
  fc.record({ type: fc.constant('DeleteMessage' as const), data: fc.record({ actorId: person, messageId }) }),
  ...(['AddReaction', 'RemoveReaction'] as const).map((type) =>
    fc.record({
      type: fc.constant(type),
      data: fc.record({
        actorId: person,
        messageId,
        emoji: fc.oneof(fc.constantFrom('👍', '🏳️‍🌈'), hostileText),
      }),
    }),
  ),
);

/** Decides against a frozen copy: decide must not write to the state it is given. */
function decideChecked(
  command: ConversationCommand,
  state: ConversationState,
): ConversationEvent[] | DomainError {
  const before = structuredClone(state);
  try {
    const events = decide(command, state, { now, limits: { maxGroupMembers: MAX_MEMBERS } });
    expect(state).toEqual(before);
    return events;
  } catch (error) {
    expect(state).toEqual(before);
    expect(error, `${command.type} threw ${String(error)}`).toBeInstanceOf(DomainError);
    expectExplained(error);
    return error as DomainError;
  }
}

/** A refusal reaches the client as PROTOCOL.md's `message`: it must say why, never be empty. */
function expectExplained(error: unknown): void {
  expect((error as Error).message.trim(), `${String(error)} gives no reason`).not.toBe('');
}

function ownersOf(state: ExistingConversation): string[] {
  return [...state.members].filter(([, member]) => member.role === 'owner').map(([userId]) => userId);
}

/** What the rules say about a command that was decided, given the state before it. */
function checkAuthorization(
  command: ConversationCommand,
  state: ConversationState,
  outcome: ConversationEvent[] | DomainError,
): void {
  if (command.type === 'CreateConversation') {
    if (state.exists) expect(outcome).toBeInstanceOf(ConflictError);
    return;
  }
  const actor = state.exists ? state.members.get(command.data.actorId) : undefined;
  if (!state.exists || !actor) {
    expect(outcome, `${command.type} by a non-member`).toBeInstanceOf(NotFoundError);
    return;
  }
  if (outcome instanceof DomainError) return;
  const isManager = actor.role === 'owner' || actor.role === 'admin';
  const changed = outcome.length > 0;
  switch (command.type) {
    case 'AddMembers':
    case 'RenameConversation':
      if (changed) expect(isManager, `${command.type} by a ${actor.role}`).toBe(true);
      break;
    case 'RemoveMember':
      if (command.data.userId !== command.data.actorId) {
        expect(isManager, `a ${actor.role} removed someone`).toBe(true);
        expect(state.members.get(command.data.userId)?.role).not.toBe('owner');
      }
      break;
    case 'EditMessage':
      expect(state.messages.get(command.data.messageId)?.senderId).toBe(command.data.actorId);
      break;
    case 'DeleteMessage':
      expect(isManager || state.messages.get(command.data.messageId)?.senderId === command.data.actorId).toBe(
        true,
      );
      break;
    case 'SendMessage': {
      const original = state.messageIdByClientMsgId.get(command.data.clientMsgId);
      // A clientMsgId is used once: the sender's retry writes nothing.
      if (original !== undefined) {
        expect(outcome).toEqual([]);
        expect(state.messages.get(original)?.senderId).toBe(command.data.actorId);
      } else expect(outcome).toHaveLength(1);
      break;
    }
    default:
      break;
  }
}

describe('the conversation decider under random command sequences', () => {
  it('keeps seqs, idempotency and authorization whatever is thrown at it', () => {
    let commandsDecided = 0;
    const outcomes = new Map<string, number>();
    // Histories start with creations, most of them valid: else nothing but not_found is met.
    const history = fc
      .tuple(
        fc.oneof(
          { weight: 3, arbitrary: plausibleCreation.map((creation) => [creation]) },
          { weight: 1, arbitrary: fc.array(createConversation, { minLength: 1, maxLength: 3 }) },
        ),
        fc.array(conversationCommand, { minLength: 5, maxLength: 80, size: 'large' }),
      )
      .map(([creations, rest]) => [...creations, ...rest]);
    fc.assert(
      fc.property(history, (commands) => {
        let state = initialState();
        const seqByMessage = new Map<string, number>();
        const senderByClientMsgId = new Map<string, string>();
        let sends = 0;
        for (const command of commands) {
          commandsDecided += 1;
          const outcome = decideChecked(command, state);
          const label =
            outcome instanceof DomainError ? outcome.name : outcome.length > 0 ? 'events' : 'no change';
          outcomes.set(label, (outcomes.get(label) ?? 0) + 1);
          checkAuthorization(command, state, outcome);
          if (command.type === 'SendMessage' && state.exists && state.members.has(command.data.actorId)) {
            const earlierSender = senderByClientMsgId.get(command.data.clientMsgId);
            if (earlierSender !== undefined && earlierSender !== command.data.actorId)
              expect(outcome, 'another sender reused a clientMsgId').toBeInstanceOf(ConflictError);
          }
          if (outcome instanceof DomainError) continue;
          for (const event of outcome) {
            expect(
              eventRegistry[event.type].schema.safeParse(event.data).success,
              JSON.stringify(event),
            ).toBe(true);
            if (event.type === 'MessageSent') {
              sends += 1;
              expect(event.data.seq, 'seqs are 1..n without gaps').toBe(sends);
              seqByMessage.set(event.data.messageId, event.data.seq);
              senderByClientMsgId.set(event.data.clientMsgId, event.data.senderId);
            }
            if (event.type === 'MessageEdited' || event.type === 'MessageDeleted')
              expect(event.data.seq, 'a message keeps its seq').toBe(seqByMessage.get(event.data.messageId));
            state = evolve(state, event);
          }
          if (state.exists) {
            expect(state.lastSeq).toBe(sends);
            const owners = ownersOf(state);
            if (state.kind === 'group' && state.members.size > 0) expect(owners, 'one owner').toHaveLength(1);
            expect(state.members.size).toBeLessThanOrEqual(state.kind === 'direct' ? 2 : MAX_MEMBERS);
          }
        }
      }),
      { numRuns: RUNS },
    );
    const byOutcome = [...outcomes].map(([label, count]) => `${label}=${count}`).join(' ');
    console.log(
      `fuzz cases run (conversation decider): ${RUNS} sequences, ${commandsDecided} commands [${byOutcome}]`,
    );
  });
});

describe('read markers under random requests', () => {
  it('only move forward, never past the last seq, and refuse what is no seq', () => {
    const request = fc.record({
      seq: fc.oneof(
        fc.nat(200),
        fc.integer({ min: -5, max: -1 }),
        fc.double(),
        fc.constantFrom(2 ** 53, 2 ** 53 + 2, Number.MAX_VALUE, Infinity, -0),
      ),
      /** Messages sent since the previous request. */
      sent: fc.nat(10),
      /** The member left and came back just before this request. */
      rejoined: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(request, { maxLength: 40 }), (requests) => {
        const state = initialReceiptsState();
        const userId = people[1]!;
        let lastSeq = 0;
        let memberSince = '2026-01-01T00:00:00.000Z';
        let marker = 0;
        requests.forEach((step, index) => {
          lastSeq += step.sent;
          const at = new Date(now.getTime() + index * 1000);
          if (step.rejoined) {
            memberSince = new Date(at.getTime() - 1).toISOString();
            marker = 0;
          }
          let events;
          try {
            events = markRead({ conversationId, userId, seq: step.seq, memberSince }, state, lastSeq, at);
          } catch (error) {
            expect(error).toBeInstanceOf(DomainError);
            expectExplained(error);
            expect(Number.isSafeInteger(step.seq) && step.seq >= 0, `seq ${step.seq} was refused`).toBe(
              false,
            );
            return;
          }
          expect(Number.isSafeInteger(step.seq) && step.seq >= 0, `seq ${step.seq} was accepted`).toBe(true);
          const expected = Math.max(marker, Math.min(step.seq, lastSeq));
          for (const event of events) {
            expect(readMarkerSchemaAccepts(event.data)).toBe(true);
            expect(event.data.seq).toBeGreaterThan(marker);
            expect(event.data.seq).toBeLessThanOrEqual(lastSeq);
            marker = event.data.seq;
            evolveReceipts(state, event);
          }
          expect(marker, 'the marker is where the request put it, or stayed').toBe(expected);
        });
      }),
      { numRuns: RUNS },
    );
  });
});

function readMarkerSchemaAccepts(data: unknown): boolean {
  return eventRegistry.ReadMarkerMoved.schema.safeParse(data).success;
}

describe('the user decider under random commands', () => {
  it('stores only valid names and throws only domain errors', () => {
    const command: fc.Arbitrary<UserCommand> = fc.oneof(
      fc.record({
        type: fc.constant('RegisterUser' as const),
        data: fc.record({
          userId: fc.constant(people[0]!),
          username: fc.oneof(hostileText, fc.stringMatching(/^[A-Za-z0-9_.]{1,40}$/)),
          displayName: fc.oneof(hostileText, fc.string({ maxLength: 70 })),
        }),
      }),
      fc.record({
        type: fc.constant('UpdateProfile' as const),
        data: fc.record({ displayName: fc.oneof(hostileText, fc.string({ maxLength: 70 })) }),
      }),
    );
    fc.assert(
      fc.property(fc.array(command, { maxLength: 20 }), (commands) => {
        let state = userDecider.initialState();
        for (const current of commands) {
          let events;
          try {
            events = userDecider.decide(current, state, { now });
          } catch (error) {
            expect(error).toBeInstanceOf(DomainError);
            expectExplained(error);
            continue;
          }
          for (const event of events) {
            expect(eventRegistry[event.type].schema.safeParse(event.data).success).toBe(true);
            const name = event.data.displayName;
            expect(name).toBe(name.trim());
            expect([...name].length).toBeGreaterThanOrEqual(1);
            expect([...name].length).toBeLessThanOrEqual(64);
            expect(name).not.toContain('\u0000');
            if (event.type === 'UserRegistered') expect(event.data.username).toMatch(/^[a-z0-9_.]{3,32}$/);
            state = userDecider.evolve(state, event);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });
});
