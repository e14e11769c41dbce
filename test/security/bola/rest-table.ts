import { randomUUID } from 'node:crypto';
import type { Actors, Fixture, Role } from './fixture.js';

/**
 * One REST request tried as each role. `route` is the route as fastify registers it
 * (`METHOD /url/:param`): the spec fails when a registered route has no row.
 */
export interface RestRow {
  route: string;
  /** Tells two rows of one route apart. */
  variant?: string;
  /** A family of routes whose names change (built files): every registered route it matches is this row's. */
  pattern?: RegExp;
  /** Registered only in some builds (the web client, when built): tried only when it is. */
  optional?: true;
  path(fixture: Fixture, role: Role, actors: Actors, registered: readonly string[]): string;
  body?(fixture: Fixture, role: Role, actors: Actors): unknown;
  expected: Record<Role, number>;
  /**
   * The path names the fixture's conversation: a refused caller must get the same
   * answer as for a conversation that does not exist, and change nothing.
   */
  conversationScoped?: true;
}

const everyone = (status: number): Record<Role, number> => ({
  member: status,
  nonMember: status,
  removed: status,
  anonymous: status,
});
/** Needs a bearer token; what the caller may do does not depend on the fixture. */
const signedIn = (status: number): Record<Role, number> => ({ ...everyone(status), anonymous: 401 });
/** PROTOCOL.md: a conversation the caller may not see answers 404 (no existence leak). */
const membersOnly = (memberStatus: number): Record<Role, number> => ({
  member: memberStatus,
  nonMember: 404,
  removed: 404,
  anonymous: 401,
});

const conversation = (fixture: Fixture) => `/v1/conversations/${fixture.conversationId}`;
const message = (fixture: Fixture, role: Role) =>
  `${conversation(fixture)}/messages/${fixture.messageOf[role]}`;
const THUMBS_UP = encodeURIComponent('👍');
const PASSWORD = 'correct horse battery staple';

export const restTable: readonly RestRow[] = [
  // Public: the same answer whoever asks (a bearer token neither helps nor hurts).
  { route: 'GET /health', path: () => '/health', expected: everyone(200) },
  { route: 'GET /ready', path: () => '/ready', expected: everyone(200) },
  { route: 'GET /metrics', path: () => '/metrics', expected: everyone(200) },
  { route: 'GET /docs', path: () => '/docs', expected: everyone(200) },
  { route: 'GET /docs/json', path: () => '/docs/json', expected: everyone(200) },
  { route: 'GET /docs/yaml', path: () => '/docs/yaml', expected: everyone(200) },
  // The UI's index redirects to /docs/.
  { route: 'GET /docs/static/index.html', path: () => '/docs/static/index.html', expected: everyone(302) },
  {
    route: 'GET /docs/static/swagger-initializer.js',
    path: () => '/docs/static/swagger-initializer.js',
    expected: everyone(200),
  },
  { route: 'GET /docs/*', path: () => '/docs/static/swagger-ui.css', expected: everyone(200) },
  // The web client (app/features/web.feature.ts): public files, a build hint when it is not built.
  { route: 'GET /', path: () => '/', expected: everyone(200) },
  {
    route: 'GET /*',
    optional: true,
    path: () => '/conversations/some-client-route',
    expected: everyone(200),
  },
  {
    route: 'GET /assets/* and /index.html',
    pattern: /^GET \/(index\.html|assets\/[^/]+)$/,
    optional: true,
    path: (_fixture, _role, _actors, registered) =>
      registered.find((route) => /^GET \/assets\//.test(route))?.slice('GET '.length) ?? '/index.html',
    expected: everyone(200),
  },
  // Over plain HTTP the WebSocket route is not found; the WebSocket table covers the socket.
  { route: 'GET /v1/ws', path: () => '/v1/ws', expected: everyone(404) },
  {
    route: 'POST /v1/auth/register',
    path: () => '/v1/auth/register',
    body: () => {
      const name = `reg_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      return { email: `${name}@example.test`, username: name, password: PASSWORD, displayName: name };
    },
    expected: everyone(201),
  },
  {
    route: 'POST /v1/auth/login',
    path: () => '/v1/auth/login',
    body: (_fixture, _role, actors) => ({ identifier: actors.spare.username, password: PASSWORD }),
    expected: everyone(200),
  },
  {
    // An access token is no refresh token.
    route: 'POST /v1/auth/refresh',
    path: () => '/v1/auth/refresh',
    body: (_fixture, _role, actors) => ({ refreshToken: actors.member.token }),
    expected: everyone(401),
  },
  {
    route: 'POST /v1/auth/logout',
    path: () => '/v1/auth/logout',
    body: () => ({ refreshToken: 'not-a-refresh-token' }),
    expected: everyone(204),
  },
  {
    // An address per caller: resets are limited per address (and 202 answers known and unknown alike).
    route: 'POST /v1/auth/password-reset',
    path: () => '/v1/auth/password-reset',
    body: () => ({ email: `reset_${randomUUID().slice(0, 8)}@example.test` }),
    expected: everyone(202),
  },
  {
    route: 'POST /v1/auth/password-reset/confirm',
    path: () => '/v1/auth/password-reset/confirm',
    body: (_fixture, _role, actors) => ({
      email: `${actors.spare.username}@example.test`,
      code: '00000000',
      newPassword: 'a new password, long enough',
    }),
    expected: everyone(400),
  },
  // Signed-in routes about the caller or about public profiles.
  { route: 'GET /v1/me', path: () => '/v1/me', expected: signedIn(200) },
  {
    route: 'PATCH /v1/me',
    path: () => '/v1/me',
    body: (_fixture, role) => ({ displayName: `renamed ${role}` }),
    expected: signedIn(200),
  },
  { route: 'GET /v1/users', path: () => '/v1/users?q=owner', expected: signedIn(200) },
  {
    route: 'GET /v1/users/:id',
    path: (_fixture, _role, actors) => `/v1/users/${actors.owner.id}`,
    expected: signedIn(200),
  },
  {
    route: 'POST /v1/conversations',
    path: () => '/v1/conversations',
    body: (_fixture, _role, actors) => ({ kind: 'group', memberIds: [actors.spare.id], title: 'new' }),
    expected: signedIn(201),
  },
  { route: 'GET /v1/conversations', path: () => '/v1/conversations?limit=100', expected: signedIn(200) },
  {
    route: 'POST /v1/attachments',
    path: () => '/v1/attachments',
    body: () => ({ filename: 'notes.txt', contentType: 'text/plain', size: 3 }),
    expected: signedIn(201),
  },
  {
    // Across every conversation: outsiders simply find nothing (the leak check reads the answer).
    route: 'GET /v1/search/messages',
    variant: 'everywhere',
    path: (fixture) => `/v1/search/messages?q=${fixture.secret}`,
    expected: signedIn(200),
  },
  {
    route: 'GET /v1/search/messages',
    variant: 'in the conversation',
    path: (fixture) => `/v1/search/messages?q=${fixture.secret}&conversationId=${fixture.conversationId}`,
    expected: membersOnly(200),
    conversationScoped: true,
  },
  // One conversation: members only.
  {
    route: 'GET /v1/conversations/:id',
    path: conversation,
    expected: membersOnly(200),
    conversationScoped: true,
  },
  {
    // A plain member sees the group but may not rename it.
    route: 'PATCH /v1/conversations/:id',
    path: conversation,
    body: () => ({ title: 'taken over' }),
    expected: membersOnly(403),
    conversationScoped: true,
  },
  {
    route: 'POST /v1/conversations/:id/members',
    path: (fixture) => `${conversation(fixture)}/members`,
    body: (_fixture, _role, actors) => ({ userIds: [actors.spare.id] }),
    expected: membersOnly(403),
    conversationScoped: true,
  },
  {
    route: 'DELETE /v1/conversations/:id/members/:userId',
    variant: 'removing the owner',
    path: (fixture, _role, actors) => `${conversation(fixture)}/members/${actors.owner.id}`,
    expected: membersOnly(403),
    conversationScoped: true,
  },
  {
    route: 'DELETE /v1/conversations/:id/members/:userId',
    variant: 'leaving',
    path: (fixture, role, actors) =>
      `${conversation(fixture)}/members/${role === 'anonymous' ? actors.member.id : actors[role].id}`,
    expected: membersOnly(204),
    conversationScoped: true,
  },
  {
    route: 'POST /v1/conversations/:id/messages',
    path: (fixture) => `${conversation(fixture)}/messages`,
    body: () => ({ clientMsgId: randomUUID(), body: 'hello' }),
    expected: membersOnly(201),
    conversationScoped: true,
  },
  {
    route: 'GET /v1/conversations/:id/messages',
    path: (fixture) => `${conversation(fixture)}/messages`,
    expected: membersOnly(200),
    conversationScoped: true,
  },
  {
    // Each role edits "their own" message: the removed member's was written before removal.
    route: 'PATCH /v1/conversations/:id/messages/:messageId',
    path: message,
    body: () => ({ body: 'rewritten' }),
    expected: membersOnly(200),
    conversationScoped: true,
  },
  {
    route: 'DELETE /v1/conversations/:id/messages/:messageId',
    path: message,
    expected: membersOnly(204),
    conversationScoped: true,
  },
  {
    route: 'PUT /v1/conversations/:id/messages/:messageId/reactions/:emoji',
    path: (fixture, role) => `${message(fixture, role)}/reactions/${THUMBS_UP}`,
    expected: membersOnly(204),
    conversationScoped: true,
  },
  {
    route: 'DELETE /v1/conversations/:id/messages/:messageId/reactions/:emoji',
    path: (fixture, role) => `${message(fixture, role)}/reactions/${THUMBS_UP}`,
    expected: membersOnly(204),
    conversationScoped: true,
  },
  {
    route: 'POST /v1/conversations/:id/read',
    path: (fixture) => `${conversation(fixture)}/read`,
    body: () => ({ seq: 1 }),
    expected: membersOnly(200),
    conversationScoped: true,
  },
  {
    route: 'GET /v1/conversations/:id/events',
    path: (fixture) => `${conversation(fixture)}/events`,
    expected: membersOnly(200),
    conversationScoped: true,
  },
  {
    route: 'PUT /v1/conversations/:id/mute',
    path: (fixture) => `${conversation(fixture)}/mute`,
    expected: membersOnly(204),
    conversationScoped: true,
  },
  {
    route: 'DELETE /v1/conversations/:id/mute',
    path: (fixture) => `${conversation(fixture)}/mute`,
    expected: membersOnly(204),
    conversationScoped: true,
  },
  // Signed blob URLs: the signature is the only credential, a bearer token is none.
  {
    route: 'PUT /v1/blobs/:owner/:id',
    path: (_fixture, _role, actors) => `/v1/blobs/${actors.member.id}/${randomUUID()}`,
    body: () => 'abc',
    expected: everyone(403),
  },
  {
    route: 'GET /v1/blobs/:owner/:id',
    path: (_fixture, _role, actors) => `/v1/blobs/${actors.member.id}/${randomUUID()}`,
    expected: everyone(403),
  },
  // PROTOCOL.md: /v1/admin/* answers 404 to everyone but the configured administrators (none here).
  { route: 'GET /v1/admin/projections', path: () => '/v1/admin/projections', expected: everyone(404) },
  {
    route: 'POST /v1/admin/projections/:name/rebuild',
    path: () => '/v1/admin/projections/messages/rebuild',
    expected: everyone(404),
  },
  { route: 'GET /v1/admin/analytics', path: () => '/v1/admin/analytics', expected: everyone(404) },
];
