/**
 * Every REST route of PROTOCOL.md (plus the local blob routes README.md adds), with
 * the shape of its body and query, so the fuzzer can build a well-typed request and
 * then break exactly one thing about it.
 */

/** What a body field holds; decides which values are certainly wrong for it. */
export type FieldKind =
  'text' | 'nullableText' | 'uuid' | 'nullableUuid' | 'uuids' | 'strings' | 'seq' | 'kind';

/** What a query parameter holds. */
export type QueryKind = 'text' | 'number' | 'uuid' | 'cursor' | 'date';

/** Path parameters the fixture has real values for. */
export type PathParam = 'id' | 'messageId' | 'userId' | 'emoji' | 'owner' | 'blobId';

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  authenticated: boolean;
  body?: Record<string, FieldKind>;
  query?: Record<string, QueryKind>;
  /**
   * `refused`: the route changes state when it succeeds, so the fuzzer only sends it
   * input that must be refused, and expects a 4xx. `any`: a read; 2xx or 4xx.
   */
  expect: 'refused' | 'any';
}

/** What a route takes besides its path parameters. */
interface RouteShape {
  body?: Record<string, FieldKind>;
  query?: Record<string, QueryKind>;
}

/**
 * Every route here that is not a GET changes state when it succeeds, so which
 * answers the fuzzer accepts follows from the method.
 */
function route(
  method: RouteSpec['method'],
  path: string,
  authenticated: boolean,
  shape: RouteShape = {},
): RouteSpec {
  return { method, path, authenticated, ...shape, expect: method === 'GET' ? 'any' : 'refused' };
}

const anonymous = (method: RouteSpec['method'], path: string, shape?: RouteShape) =>
  route(method, path, false, shape);

const signedIn = (method: RouteSpec['method'], path: string, shape?: RouteShape) =>
  route(method, path, true, shape);

// Signed URLs are the only credential of the blob routes: without a valid signature nothing is stored.
const signedUrl: RouteShape = {
  query: { type: 'text', exp: 'number', size: 'number', name: 'text', sig: 'text' },
};

export const restRoutes: readonly RouteSpec[] = [
  anonymous('POST', '/v1/auth/register', {
    body: { email: 'text', username: 'text', password: 'text', displayName: 'text' },
  }),
  anonymous('POST', '/v1/auth/login', { body: { identifier: 'text', password: 'text' } }),
  anonymous('POST', '/v1/auth/refresh', { body: { refreshToken: 'text' } }),
  anonymous('POST', '/v1/auth/logout', { body: { refreshToken: 'text' } }),
  anonymous('POST', '/v1/auth/password-reset', { body: { email: 'text' } }),
  anonymous('POST', '/v1/auth/password-reset/confirm', {
    body: { email: 'text', code: 'text', newPassword: 'text' },
  }),
  signedIn('GET', '/v1/me'),
  signedIn('PATCH', '/v1/me', { body: { displayName: 'text' } }),
  signedIn('GET', '/v1/users', { query: { q: 'text', limit: 'number' } }),
  signedIn('GET', '/v1/users/:userId'),
  signedIn('POST', '/v1/conversations', {
    body: { kind: 'kind', memberIds: 'uuids', title: 'nullableText' },
  }),
  signedIn('GET', '/v1/conversations', { query: { limit: 'number', cursor: 'cursor' } }),
  signedIn('GET', '/v1/conversations/:id'),
  signedIn('PATCH', '/v1/conversations/:id', { body: { title: 'nullableText' } }),
  signedIn('POST', '/v1/conversations/:id/members', { body: { userIds: 'uuids' } }),
  signedIn('DELETE', '/v1/conversations/:id/members/:userId'),
  signedIn('POST', '/v1/conversations/:id/messages', {
    body: { clientMsgId: 'uuid', body: 'text', attachments: 'strings', replyTo: 'nullableUuid' },
  }),
  signedIn('GET', '/v1/conversations/:id/messages', {
    query: { beforeSeq: 'number', afterSeq: 'number', limit: 'number' },
  }),
  signedIn('PATCH', '/v1/conversations/:id/messages/:messageId', { body: { body: 'text' } }),
  signedIn('DELETE', '/v1/conversations/:id/messages/:messageId'),
  signedIn('PUT', '/v1/conversations/:id/messages/:messageId/reactions/:emoji'),
  signedIn('DELETE', '/v1/conversations/:id/messages/:messageId/reactions/:emoji'),
  signedIn('POST', '/v1/conversations/:id/read', { body: { seq: 'seq' } }),
  signedIn('GET', '/v1/conversations/:id/events', { query: { afterRev: 'number', limit: 'number' } }),
  signedIn('POST', '/v1/attachments', { body: { filename: 'text', contentType: 'text', size: 'seq' } }),
  signedIn('GET', '/v1/search/messages', {
    query: { q: 'text', conversationId: 'uuid', limit: 'number' },
  }),
  signedIn('PUT', '/v1/conversations/:id/mute'),
  signedIn('DELETE', '/v1/conversations/:id/mute'),
  signedIn('GET', '/v1/admin/projections'),
  signedIn('GET', '/v1/admin/analytics', { query: { from: 'date', to: 'date' } }),
  anonymous('PUT', '/v1/blobs/:owner/:blobId', signedUrl),
  anonymous('GET', '/v1/blobs/:owner/:blobId', signedUrl),
  anonymous('GET', '/health'),
];

/** The path parameters a route template names, in order. */
export function pathParamsOf(route: RouteSpec): PathParam[] {
  return [...route.path.matchAll(/:(\w+)/g)].map((match) => match[1] as PathParam);
}

export function hasBody(route: RouteSpec): boolean {
  return route.body !== undefined;
}
