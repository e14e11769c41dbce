/**
 * Property-based fuzzing of every REST route on a real server (PROTOCOL.md): broken
 * bodies, ids, seqs, content types and tokens are answered 4xx with the error
 * body, never 5xx and never not at all; rejected input changes nothing; the
 * process stays up and its memory bounded. fast-check prints the seed and the
 * shrunk request of any failure.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registerUser, type RegisteredUser } from '../support/api-client.js';
import { startTestServer, type TestMode, type TestServer } from '../support/server.js';
import { hostileRequest, unknownRouteRequest, type FuzzTarget } from './hostile-requests.js';
import { hostileText, percentEncodeAnything, unicodeEdgeCases } from './hostile-values.js';
import { describeRequest, expectClientErrorOrSuccess, expectRejected, send } from './raw-http.js';
import { restRoutes } from './rest-routes.js';

const HOSTILE_RUNS = Number(process.env.FUZZ_HTTP_RUNS ?? 1000);
const CONTENT_RUNS = Number(process.env.FUZZ_CONTENT_RUNS ?? 100);
const MiB = 1024 * 1024;
/** FUZZ_MODE=embedded runs the same cases against PGlite. */
const MODE = (process.env.FUZZ_MODE ?? 'postgres') as TestMode;

describe('REST fuzzing', () => {
  let server: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let target: FuzzTarget;
  const tally = new Map<string, number>();
  let casesRun = 0;

  beforeAll(async () => {
    server = await startTestServer(MODE, {
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
      LOGIN_RATE_LIMIT_PER_ACCOUNT_PER_MINUTE: '1000000',
      LOGIN_RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
    });
    const anonymous = new ApiClient(server.baseUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous, 'alice'), registerUser(anonymous, 'bob')]);
    const created = await alice.api.post('/v1/conversations', {
      kind: 'group',
      memberIds: [bob.id],
      title: 'Fuzz',
    });
    const sent = await alice.api.post(`/v1/conversations/${created.body.id}/messages`, {
      clientMsgId: randomUUID(),
      body: 'the message every request aims at',
    });
    expect(sent.status).toBe(201);
    target = {
      token: alice.token,
      conversationId: created.body.id,
      messageId: sent.body.id,
      memberId: bob.id,
    };
  });

  afterAll(async () => {
    const byFlaw = [...tally].map(([flaw, count]) => `${flaw}=${count}`).join(' ');
    console.log(`fuzz cases run (http): ${casesRun} [${byFlaw}]`);
    await server?.close();
  });

  /** Everything a rejected request could have changed, as the two users see it. */
  async function snapshot(): Promise<unknown> {
    const paths = [
      '/v1/me',
      '/v1/conversations?limit=100',
      `/v1/conversations/${target.conversationId}`,
      `/v1/conversations/${target.conversationId}/messages?limit=200`,
      `/v1/conversations/${target.conversationId}/events?limit=1000`,
      '/v1/users?limit=100',
    ];
    const views = await Promise.all([
      ...paths.map((path) => alice.api.get(path)),
      bob.api.get('/v1/me'),
      bob.api.get('/v1/conversations?limit=100'),
    ]);
    for (const view of views) expect(view.status).toBe(200);
    return views.map((view) => view.body);
  }

  it(
    'answers every broken request to every route with a 4xx error body, and changes nothing',
    { timeout: 180_000 },
    async () => {
      const before = await snapshot();
      const memoryBefore = process.memoryUsage();
      const request = fc.oneof(
        {
          weight: 12,
          arbitrary: fc.constantFrom(...restRoutes).chain((route) => hostileRequest(route, target)),
        },
        {
          weight: 1,
          arbitrary: unknownRouteRequest.map((raw) => ({ ...raw, flaw: 'unknown route', refused: false })),
        },
      );
      await fc.assert(
        fc.asyncProperty(request, async (hostile) => {
          casesRun += 1;
          tally.set(hostile.flaw, (tally.get(hostile.flaw) ?? 0) + 1);
          const answer = await send(server.baseUrl, hostile);
          const what = describeRequest(hostile);
          if ('route' in hostile && hostile.route.expect === 'refused') expectRejected(answer, what);
          else expectClientErrorOrSuccess(answer, what);
        }),
        { numRuns: HOSTILE_RUNS },
      );
      const memoryAfter = process.memoryUsage();
      console.log(
        `memory (http fuzz): rss ${(memoryBefore.rss / MiB).toFixed(0)} → ${(memoryAfter.rss / MiB).toFixed(0)} MiB, ` +
          `heap ${(memoryBefore.heapUsed / MiB).toFixed(0)} → ${(memoryAfter.heapUsed / MiB).toFixed(0)} MiB`,
      );
      // Generous: bodies up to 512 KiB were sent and are garbage by now or soon; a leak per request would be far past it.
      expect(memoryAfter.heapUsed - memoryBefore.heapUsed).toBeLessThan(256 * MiB);
      expect(memoryAfter.rss).toBeLessThan(2048 * MiB);

      expect(await snapshot()).toEqual(before);
      expect((await send(server.baseUrl, { method: 'GET', target: '/health' })).status).toBe(200);
    },
  );

  it('answers the inputs this fuzzer found 5xx, crashes or foreign error bodies with, as PROTOCOL.md says', async () => {
    const auth = { authorization: `Bearer ${alice.token}` };
    const cursorBefore1970 = Buffer.from(JSON.stringify(['-999999999999999999', randomUUID()])).toString(
      'base64url',
    );
    const found: Array<[target: string, status: number]> = [
      // 500: the timestamp it compared with was outside PostgreSQL's range.
      [`/v1/conversations?cursor=${cursorBefore1970}`, 400],
      // 500: PostgreSQL refuses NUL in text.
      ['/v1/users?q=%00', 200],
      // fastify's own body for a URL that does not decode.
      ['/v1/users/%ED%A0%80', 400],
      ['/v1/conversations/%', 400],
      // node's own body for a request line over 16 KiB.
      [`/v1/users/${'x'.repeat(20_000)}`, 413],
    ];
    for (const [path, status] of found) {
      casesRun += 1;
      const answer = await send(server.baseUrl, { method: 'GET', target: path, headers: auth });
      expect(answer.status, path.slice(0, 80)).toBe(status);
      expectClientErrorOrSuccess(answer, path.slice(0, 80));
    }
    // Stored but never projectable: NUL stalled every read model behind it (503 on all later writes).
    for (const body of ['a\u0000b', 'x\uD800y']) {
      casesRun += 1;
      const sent = await alice.api.post(`/v1/conversations/${target.conversationId}/messages`, {
        clientMsgId: randomUUID(),
        body,
      });
      expect(sent.status).toBe(400);
      expect(sent.body.error).toMatchObject({ code: 'bad_request', details: { field: 'body' } });
    }
  });

  describe('unicode edge cases where text is allowed', () => {
    /** The rules a body, title or display name must meet: visible, storable Unicode. */
    const isAcceptableText = (text: string, maxLength: number) =>
      !/^\s*$/u.test(text) &&
      !text.includes('\u0000') &&
      !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text) &&
      [...text.trim()].length <= maxLength;

    it('stores a message body exactly as sent, or refuses it as bad_request', async () => {
      const bodies = fc.oneof(fc.constantFrom(...unicodeEdgeCases), hostileText);
      await fc.assert(
        fc.asyncProperty(bodies, async (body) => {
          casesRun += 1;
          const path = `/v1/conversations/${target.conversationId}/messages`;
          const sent = await send(server.baseUrl, {
            method: 'POST',
            target: path,
            headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ clientMsgId: randomUUID(), body }),
          });
          expectClientErrorOrSuccess(sent, `send ${JSON.stringify(body)}`);
          if (!isAcceptableText(body, 10_000)) {
            expect(sent.status, JSON.stringify(body)).toBe(400);
            return;
          }
          expect(sent.status, `${JSON.stringify(body)} → ${sent.text}`).toBe(201);
          const message = sent.json as { id: string; seq: number; body: string };
          expect(message.body).toBe(body);
          const page = await alice.api.get(`${path}?afterSeq=${message.seq - 1}&limit=1`);
          expect(page.body.items[0]).toMatchObject({ id: message.id, body });
        }),
        { numRuns: CONTENT_RUNS },
      );
    });

    it('renames and sets display names to unicode edge cases, or refuses them, and keeps the server serving', async () => {
      await fc.assert(
        fc.asyncProperty(hostileText, fc.boolean(), async (text, asTitle) => {
          casesRun += 1;
          const answer = await send(server.baseUrl, {
            method: 'PATCH',
            target: asTitle ? `/v1/conversations/${target.conversationId}` : '/v1/me',
            headers: { authorization: `Bearer ${bob.token}`, 'content-type': 'application/json' },
            body: JSON.stringify(asTitle ? { title: text } : { displayName: text }),
          });
          // Bob is a plain member: a rename is forbidden whatever the title.
          if (asTitle) return expectRejected(answer, `title ${JSON.stringify(text)}`);
          expectClientErrorOrSuccess(answer, `displayName ${JSON.stringify(text)}`);
          expect(answer.status, `${JSON.stringify(text)} → ${answer.text}`).toBe(
            isAcceptableText(text, 64) ? 200 : 400,
          );
          if (answer.status === 200)
            expect((answer.json as { displayName: string }).displayName).toBe(text.trim());
        }),
        { numRuns: CONTENT_RUNS },
      );
      const renamed = await alice.api.patch(`/v1/conversations/${target.conversationId}`, {
        title: '👩‍👩‍👧‍👦 \u202Eltr',
      });
      expect(renamed.status).toBe(200);
      expect(renamed.body.title).toBe('👩‍👩‍👧‍👦 \u202Eltr');
    });

    it('grants uploads of files named with any text, or refuses the name', async () => {
      await fc.assert(
        fc.asyncProperty(
          hostileText,
          fc.constantFrom('image/png', 'text/plain; charset=utf-8'),
          async (filename, type) => {
            casesRun += 1;
            const answer = await send(server.baseUrl, {
              method: 'POST',
              target: '/v1/attachments',
              headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
              body: JSON.stringify({ filename, contentType: type, size: 5 }),
            });
            expectClientErrorOrSuccess(answer, `filename ${JSON.stringify(filename)}`);
            if (answer.status === 201) {
              // The signed URL must be one a client can use: it parses and keeps the name.
              const { uploadUrl } = answer.json as { uploadUrl: string };
              expect(() => new URL(uploadUrl, server.baseUrl)).not.toThrow();
            }
          },
        ),
        { numRuns: CONTENT_RUNS },
      );
    });

    it('searches users and messages for any text without failing', async () => {
      await fc.assert(
        fc.asyncProperty(hostileText, fc.boolean(), async (q, users) => {
          casesRun += 1;
          const path = users ? '/v1/users' : '/v1/search/messages';
          const answer = await send(server.baseUrl, {
            method: 'GET',
            target: `${path}?q=${percentEncodeAnything(q)}`,
            headers: { authorization: `Bearer ${alice.token}` },
          });
          expectClientErrorOrSuccess(answer, `${path} q=${JSON.stringify(q)}`);
        }),
        { numRuns: CONTENT_RUNS },
      );
    });
  });
});
