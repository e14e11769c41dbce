import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFrameData } from '../../realtime/client-frames.schemas.js';
import type { TestServer } from '../support/server.js';
import { WsClient, type Frame } from '../support/ws-client.js';
import {
  createFixture,
  lastRevOf,
  registerActors,
  ROLES,
  type Actors,
  type Fixture,
  type Role,
} from './bola/fixture.js';
import { restTable, type RestRow } from './bola/rest-table.js';
import { wsTable, type WsOutcome, type WsRow } from './bola/ws-table.js';
import { registeredRoutes } from './support/registered-routes.js';
import { startSecurityServer } from './support/security-server.js';

/*
 * Broken object-level authorization, as a table: every REST route the server
 * registers and every WebSocket request type, tried as a member, a non-member, a
 * removed member and an anonymous caller, each on a fresh conversation. A refused
 * caller must get the row's status, learn nothing (the same answer as for a
 * conversation that does not exist; neither the conversation's id nor its words in
 * any answer or frame) and change nothing (the conversation's revision stays).
 */

const REFUSED: readonly Role[] = ['nonMember', 'removed', 'anonymous'];
const restChecks = restTable.length * ROLES.length;
const wsChecks = wsTable.length * ROLES.length;

interface RawAnswer {
  status: number;
  text: string;
  code?: string;
}

describe(`broken object-level authorization: ${restChecks} REST and ${wsChecks} WebSocket checks`, () => {
  let server: TestServer;
  let actors: Actors;
  const sockets: WsClient[] = [];

  beforeAll(async () => {
    server = await startSecurityServer();
    actors = await registerActors(server.baseUrl);
    registered = registeredRoutes(server.parley.app);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((socket) => socket.close()));
    await server?.close();
  });

  const tokenOf = (role: Role) => (role === 'anonymous' ? undefined : actors[role].token);

  let registered: string[];
  const isRegistered = (row: RestRow) =>
    row.pattern ? registered.some((route) => row.pattern!.test(route)) : registered.includes(row.route);

  async function send(
    row: RestRow,
    fixture: Fixture,
    role: Role,
    path = row.path(fixture, role, actors, registered),
  ) {
    const [method] = row.route.split(' ');
    const headers: Record<string, string> = {};
    const token = tokenOf(role);
    if (token) headers.authorization = `Bearer ${token}`;
    const body = row.body?.(fixture, role, actors);
    if (typeof body === 'string') headers['content-type'] = 'text/plain';
    else if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${server.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      redirect: 'manual',
    });
    const text = await response.text();
    const answer: RawAnswer = { status: response.status, text };
    if (response.headers.get('content-type')?.includes('json') && text) {
      answer.code = (JSON.parse(text) as { error?: { code?: string } } | null)?.error?.code;
    }
    return answer;
  }

  /** Nothing of the fixture's conversation may reach a caller who is not in it. */
  function expectNoLeak(fixture: Fixture, what: string, text: string) {
    expect(text, `${what} mentions the conversation`).not.toContain(fixture.conversationId);
    expect(text, `${what} holds the conversation's words`).not.toContain(fixture.secret);
  }

  describe('REST', () => {
    it('has a row for every route the server registers, and every row names a registered route', () => {
      const covers = (row: RestRow, route: string) =>
        row.pattern ? row.pattern.test(route) : row.route === route;
      const uncovered = registered.filter((route) => !restTable.some((row) => covers(row, route)));
      expect(uncovered, 'registered routes without a row').toEqual([]);
      const stale = restTable.filter((row) => !row.optional && !isRegistered(row)).map((row) => row.route);
      expect(stale, 'rows of routes the server does not register').toEqual([]);
    });

    it.for(restTable.map((row) => [`${row.route}${row.variant ? ` (${row.variant})` : ''}`, row] as const))(
      '%s',
      async ([, row], context) => {
        if (row.optional && !isRegistered(row)) return context.skip();
        const fixture = await createFixture(actors);
        for (const role of REFUSED) {
          const answer = await send(row, fixture, role);
          expect(answer.status, `${role}: ${answer.text}`).toBe(row.expected[role]);
          expectNoLeak(fixture, `the answer to ${role}`, answer.text);
          if (row.conversationScoped && role !== 'anonymous') {
            // The same request on a conversation that does not exist: indistinguishable.
            const unknown = { ...fixture, conversationId: randomUUID() };
            const control = await send(row, unknown, role);
            expect(
              { status: answer.status, code: answer.code },
              `${role} on an unknown conversation`,
            ).toEqual({
              status: control.status,
              code: control.code,
            });
          }
        }
        expect(
          await lastRevOf(actors, fixture.conversationId),
          'a refused request changed the conversation',
        ).toBe(fixture.lastRev);
        const answer = await send(row, fixture, 'member');
        expect(answer.status, `member: ${answer.text}`).toBe(row.expected.member);
      },
    );
  });

  describe('WebSocket', () => {
    it('has a row for every request type the server accepts', () => {
      expect(wsTable.map((row) => row.type).sort()).toEqual(Object.keys(clientFrameData).sort());
    });

    const connect = async (role: Role) => {
      const socket = await WsClient.ready(server.baseUrl, actors[role as Exclude<Role, 'anonymous'>].token);
      sockets.push(socket);
      return socket;
    };

    async function expectOutcome(
      socket: WsClient,
      row: WsRow,
      fixture: Fixture,
      role: Role,
      outcome: WsOutcome,
    ) {
      if (outcome.answer === 'sync.done') {
        socket.send({ type: row.type, id: 'sync', data: row.data(fixture, role, actors) });
        const done = await socket.next((frame) => frame.type === 'sync.done', `${role}: sync.done`);
        expect(Object.keys(done.data.cursors).includes(fixture.conversationId), `${role}: sync.done`).toBe(
          outcome.includesConversation,
        );
        return;
      }
      const answer = await socket.request(row.type, row.data(fixture, role, actors));
      if (outcome.answer === 'error') {
        expect(answer, role).toMatchObject({ type: 'error', data: { code: outcome.code } });
      } else {
        expect(answer.type, `${role}: ${JSON.stringify(answer)}`).toBe(outcome.answer);
      }
    }

    async function expectAnonymousRefused(row: WsRow, fixture: Fixture) {
      const socket = await WsClient.connect(server.baseUrl);
      try {
        socket.send({ type: row.type, id: 'anonymous', data: row.data(fixture, 'anonymous', actors) });
      } catch {
        // Already closed by the server: nothing was served either.
      }
      const closed = await socket.closed;
      expect(closed.code).toBe((row.expected.anonymous as { code: number }).code);
      expect(socket.frames).toEqual([]);
    }

    it.each(wsTable.map((row) => [row.type, row] as const))('%s', async (_, row) => {
      const fixture = await createFixture(actors);
      const outsiders = { nonMember: await connect('nonMember'), removed: await connect('removed') };
      for (const role of ['nonMember', 'removed'] as const) {
        await expectOutcome(outsiders[role], row, fixture, role, row.expected[role]);
      }
      await expectAnonymousRefused(row, fixture);
      expect(await lastRevOf(actors, fixture.conversationId)).toBe(fixture.lastRev);

      const member = await connect('member');
      await expectOutcome(member, row, fixture, 'member', row.expected.member);
      // Whatever the member's request made happen, none of it reaches the outsiders' sockets.
      await member.ping();
      for (const [role, socket] of Object.entries(outsiders)) {
        await socket.ping();
        socket.frames.forEach((frame: Frame) =>
          expectNoLeak(fixture, `a frame to ${role}`, JSON.stringify(frame)),
        );
      }
      await Promise.all([member.close(), outsiders.nonMember.close(), outsiders.removed.close()]);
    });
  });
});
