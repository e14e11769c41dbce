import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { RegisteredUser } from './api-client.js';
import type { Frame, WsClient } from './ws-client.js';

/** A group conversation `owner` creates with `memberIds` over REST; answers its id. */
export async function createGroup(
  owner: RegisteredUser,
  memberIds: string[],
  title = 'team',
): Promise<string> {
  const created = await owner.api.post('/v1/conversations', { kind: 'group', memberIds, title });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

/** A `message.send` over the socket with a fresh `clientMsgId`; resolves to its answer. */
export function sendMessage(client: WsClient, conversationId: string, body: string): Promise<Frame> {
  return client.request('message.send', { conversationId, clientMsgId: randomUUID(), body });
}
