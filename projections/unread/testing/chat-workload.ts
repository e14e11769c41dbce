/**
 * A random chat workload for tests: sends, reads, member additions and removals,
 * and message deletions across a few conversations and users, run through the real
 * command side. Operations are drawn by fast-check (so a failure prints its seed
 * and a shrunk sequence) and run a few at a time concurrently, as users would.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { ConversationCommands } from '../../../commands/conversations/conversation-commands.js';
import { DomainError } from '../../../domain/errors.js';

export type WorkloadOp =
  | { kind: 'send'; conversation: number; user: number }
  | { kind: 'read'; conversation: number; user: number; seq: number }
  | { kind: 'add'; conversation: number; user: number }
  | { kind: 'remove'; conversation: number; user: number; leaves: boolean }
  /** The author of the conversation's message number `message` (modulo their count) deletes it. */
  | { kind: 'delete'; conversation: number; message: number };

export const WORKLOAD_USERS = 6;
export const WORKLOAD_CONVERSATIONS = 4;

/** Groups of 1 to 4 operations; the operations of a group run at the same time. */
export function workloadArbitrary(groups: { minLength: number; maxLength: number }) {
  const conversation = fc.nat({ max: WORKLOAD_CONVERSATIONS - 1 });
  const user = fc.nat({ max: WORKLOAD_USERS - 1 });
  const op: fc.Arbitrary<WorkloadOp> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('send' as const), conversation, user }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('read' as const),
        conversation,
        user,
        seq: fc.nat({ max: 40 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('add' as const), conversation, user }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('remove' as const),
        conversation,
        user,
        leaves: fc.boolean(),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('delete' as const), conversation, message: fc.nat() }),
    },
  );
  return fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), groups);
}

/** Fresh users and conversations per instance, so several workloads can share one event store. */
export class ChatWorkload {
  readonly users = Array.from({ length: WORKLOAD_USERS }, () => randomUUID());
  readonly conversations: string[] = [];
  /** The owner of each conversation (the one allowed to add and remove members). */
  private readonly owners: string[] = [];
  /** The messages sent in each conversation, with their authors. */
  private readonly messages = new Map<string, { messageId: string; authorId: string }[]>();
  /** How many operations of each kind went through (the rest were refused by a domain rule). */
  readonly performed: Record<WorkloadOp['kind'], number> = { send: 0, read: 0, add: 0, remove: 0, delete: 0 };

  constructor(private readonly commands: ConversationCommands) {}

  /** One direct conversation (users 0 and 1) and groups of three owned by different users. */
  async setUp(): Promise<void> {
    const [first, second] = this.users as [string, string];
    const direct = await this.commands.createConversation(
      { kind: 'direct', memberIds: [second] },
      { actorId: first },
    );
    this.add(direct.conversationId, first);
    for (let index = 1; index < WORKLOAD_CONVERSATIONS; index++) {
      const owner = this.user(index);
      const { conversationId } = await this.commands.createConversation(
        { kind: 'group', memberIds: [this.user(index + 1), this.user(index + 2)], title: `group ${index}` },
        { actorId: owner },
      );
      this.add(conversationId, owner);
    }
  }

  async run(groups: readonly (readonly WorkloadOp[])[]): Promise<void> {
    for (const group of groups) await Promise.all(group.map((op) => this.perform(op)));
  }

  /** Runs one operation; a refusal by a domain rule (not a member, not allowed…) is part of the workload. */
  private async perform(op: WorkloadOp): Promise<void> {
    const conversationId = this.conversations[op.conversation]!;
    try {
      switch (op.kind) {
        case 'send': {
          const actorId = this.user(op.user);
          const { messageId } = await this.commands.sendMessage(
            conversationId,
            { clientMsgId: randomUUID(), body: 'hello' },
            { actorId },
          );
          this.messages.get(conversationId)!.push({ messageId, authorId: actorId });
          break;
        }
        case 'read':
          await this.commands.markRead(conversationId, op.seq, { actorId: this.user(op.user) });
          break;
        case 'add':
          await this.commands.addMembers(conversationId, [this.user(op.user)], {
            actorId: this.owners[op.conversation]!,
          });
          break;
        case 'remove': {
          const member = this.user(op.user);
          await this.commands.removeMember(conversationId, member, {
            actorId: op.leaves ? member : this.owners[op.conversation]!,
          });
          break;
        }
        case 'delete': {
          // By its author, as users do: anyone else would only be refused, and a workload
          // of refused deletes would test nothing.
          const sent = this.messages.get(conversationId)!;
          if (sent.length === 0) return;
          const { messageId, authorId } = sent[op.message % sent.length]!;
          await this.commands.deleteMessage(conversationId, messageId, { actorId: authorId });
          break;
        }
      }
      this.performed[op.kind] += 1;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
    }
  }

  private add(conversationId: string, owner: string): void {
    this.conversations.push(conversationId);
    this.owners.push(owner);
    this.messages.set(conversationId, []);
  }

  private user(index: number): string {
    return this.users[index % this.users.length]!;
  }
}
