import { randomBytes, randomUUID } from 'node:crypto';
import { ApiClient, registerUser, type RegisteredUser } from '../../support/api-client.js';

/** The callers every row is tried as. */
export const ROLES = ['member', 'nonMember', 'removed', 'anonymous'] as const;
export type Role = (typeof ROLES)[number];

export interface Actors {
  anonymous: ApiClient;
  /** Creates every conversation; never one of the roles. */
  owner: RegisteredUser;
  /** A plain member (role `member`) who wrote a message. */
  member: RegisteredUser;
  /** Was a member, wrote a message, then was removed by the owner. */
  removed: RegisteredUser;
  /** Never in any conversation of the fixtures. */
  nonMember: RegisteredUser;
  /** Someone to add to a conversation. */
  spare: RegisteredUser;
}

/** One group conversation as the table finds it before each row. */
export interface Fixture {
  conversationId: string;
  /** The message each role would act on: their own where they have one. */
  messageOf: Record<Role, string>;
  /** The conversation's revision: what a refused request must leave as it is. */
  lastRev: number;
  /** A word only this conversation holds (title and messages): it must reach no outsider. */
  secret: string;
}

export async function registerActors(baseUrl: string): Promise<Actors> {
  const anonymous = new ApiClient(baseUrl);
  const [owner, member, removed, nonMember, spare] = await Promise.all(
    ['owner', 'member', 'removed', 'outsider', 'spare'].map((label) => registerUser(anonymous, label)),
  );
  return {
    anonymous,
    owner: owner!,
    member: member!,
    removed: removed!,
    nonMember: nonMember!,
    spare: spare!,
  };
}

export function clientOf(actors: Actors, role: Role): ApiClient {
  return role === 'anonymous' ? actors.anonymous : actors[role].api;
}

async function expectStatus<T>(what: string, answer: Promise<{ status: number; body: T }>, status: number) {
  const response = await answer;
  if (response.status !== status)
    throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** A fresh group: owner, member and removed (who wrote a message each), then removed is removed. */
export async function createFixture(actors: Actors): Promise<Fixture> {
  const { owner, member, removed } = actors;
  const secret = `zq${randomBytes(6).toString('hex')}`;
  const created = await expectStatus<{ id: string }>(
    'create',
    owner.api.post('/v1/conversations', {
      kind: 'group',
      memberIds: [member.id, removed.id],
      title: `room ${secret}`,
    }),
    201,
  );
  const conversationId = created.id;
  const send = (user: RegisteredUser) =>
    expectStatus<{ id: string }>(
      'send',
      user.api.post(`/v1/conversations/${conversationId}/messages`, {
        clientMsgId: randomUUID(),
        body: `note ${secret}`,
      }),
      201,
    );
  const byRemoved = await send(removed);
  const byMember = await send(member);
  await expectStatus(
    'remove',
    owner.api.delete(`/v1/conversations/${conversationId}/members/${removed.id}`),
    204,
  );
  return {
    conversationId,
    messageOf: { member: byMember.id, removed: byRemoved.id, nonMember: byMember.id, anonymous: byMember.id },
    lastRev: await lastRevOf(actors, conversationId),
    secret,
  };
}

/** The conversation's revision as its owner sees it. */
export async function lastRevOf(actors: Actors, conversationId: string): Promise<number> {
  const view = await expectStatus<{ lastRev: number }>(
    'get',
    actors.owner.api.get(`/v1/conversations/${conversationId}`),
    200,
  );
  return view.lastRev;
}
