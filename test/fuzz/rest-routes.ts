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

export const restRoutes: readonly RouteSpec[] = [
  {
    method: 'POST',
    path: '/v1/auth/register',
    authenticated: false,
    body: { email: 'text', username: 'text', password: 'text', displayName: 'text' },
    expect: 'refused',
  },
  {
    method: 'POST',
    path: '/v1/auth/login',
    authenticated: false,
    body: { identifier: 'text', password: 'text' },
    expect: 'refused',
  },
  {
    method: 'POST',
    path: '/v1/auth/refresh',
    authenticated: false,
    body: { refreshToken: 'text' },
    expect: 'refused',
  },
  {
    method: 'POST',
    path: '/v1/auth/logout',
    authenticated: false,
    body: { refreshToken: 'text' },
    expect: 'refused',
  },
  {
    method: 'POST',
    path: '/v1/auth/password-reset',
    authenticated: false,
    body: { email: 'text' },
    expect: 'refused',
  },
  {
    method: 'POST',
    path: '/v1/auth/password-reset/confirm',
    authenticated: false,
    body: { email: 'text', code: 'text', newPassword: 'text' },
    expect: 'refused',
  },
  { method: 'GET', path: '/v1/me', authenticated: true, expect: 'any' },
  { method: 'PATCH', path: '/v1/me', authenticated: true, body: { displayName: 'text' }, expect: 'refused' },
  {
    method: 'GET',
    path: '/v1/users',
    authenticated: true,
    query: { q: 'text', limit: 'number' },
    expect: 'any',
  },
  { method: 'GET', path: '/v1/users/:userId', authenticated: true, expect: 'any' },
  {
    method: 'POST',
    path: '/v1/conversations',
    authenticated: true,
    body: { kind: 'kind', memberIds: 'uuids', title: 'nullableText' },
    expect: 'refused',
  },
  {
    method: 'GET',
    path: '/v1/conversations',
    authenticated: true,
    query: { limit: 'number', cursor: 'cursor' },
    expect: 'any',
  },
  { method: 'GET', path: '/v1/conversations/:id', authenticated: true, expect: 'any' },
  {
    method: 'PATCH',
    path: '/v1/conversations/:id',
    authenticated: true,
    body: { title: 'nullableText' },
    expect: 'refused',
  },
  {
    method: 'POST',
    path: '/v1/conversations/:id/members',
    authenticated: true,
    body: { userIds: 'uuids' },
    expect: 'refused',
  },
  { method: 'DELETE', path: '/v1/conversations/:id/members/:userId', authenticated: true, expect: 'refused' },
  {
    method: 'POST',
    path: '/v1/conversations/:id/messages',
    authenticated: true,
    body: { clientMsgId: 'uuid', body: 'text', attachments: 'strings', replyTo: 'nullableUuid' },
    expect: 'refused',
  },
  {
    method: 'GET',
    path: '/v1/conversations/:id/messages',
    authenticated: true,
    query: { beforeSeq: 'number', afterSeq: 'number', limit: 'number' },
    expect: 'any',
  },
  {
    method: 'PATCH',
    path: '/v1/conversations/:id/messages/:messageId',
    authenticated: true,
    body: { body: 'text' },
    expect: 'refused',
  },
  {
    method: 'DELETE',
    path: '/v1/conversations/:id/messages/:messageId',
    authenticated: true,
    expect: 'refused',
  },
  {
    method: 'PUT',
    path: '/v1/conversations/:id/messages/:messageId/reactions/:emoji',
    authenticated: true,
    expect: 'refused',
  },
  {
    method: 'DELETE',
    path: '/v1/conversations/:id/messages/:messageId/reactions/:emoji',
    authenticated: true,
    expect: 'refused',
  },
  {
    method: 'POST',
    path: '/v1/conversations/:id/read',
    authenticated: true,
    body: { seq: 'seq' },
    expect: 'refused',
  },
  {
    method: 'GET',
    path: '/v1/conversations/:id/events',
    authenticated: true,
    query: { afterRev: 'number', limit: 'number' },
    expect: 'any',
  },
  {
    method: 'POST',
    path: '/v1/attachments',
    authenticated: true,
    body: { filename: 'text', contentType: 'text', size: 'seq' },
    expect: 'refused',
  },
  {
    method: 'GET',
    path: '/v1/search/messages',
    authenticated: true,
    query: { q: 'text', conversationId: 'uuid', limit: 'number' },
    expect: 'any',
  },
  { method: 'PUT', path: '/v1/conversations/:id/mute', authenticated: true, expect: 'refused' },
  { method: 'DELETE', path: '/v1/conversations/:id/mute', authenticated: true, expect: 'refused' },
  {
    method: 'GET',
    path: '/v1/admin/projections',
    authenticated: true,
    expect: 'any',
  },
  {
    method: 'GET',
    path: '/v1/admin/analytics',
    authenticated: true,
    query: { from: 'date', to: 'date' },
    expect: 'any',
  },
  // Signed URLs are the only credential here: without a valid signature nothing is stored.
  {
    method: 'PUT',
    path: '/v1/blobs/:owner/:blobId',
    authenticated: false,
    query: { type: 'text', exp: 'number', size: 'number', name: 'text', sig: 'text' },
    expect: 'refused',
  },
  {
    method: 'GET',
    path: '/v1/blobs/:owner/:blobId',
    authenticated: false,
    query: { type: 'text', exp: 'number', size: 'number', name: 'text', sig: 'text' },
    expect: 'any',
  },
  { method: 'GET', path: '/health', authenticated: false, expect: 'any' },
];

/** The path parameters a route template names, in order. */
export function pathParamsOf(route: RouteSpec): PathParam[] {
  return [...route.path.matchAll(/:(\w+)/g)].map((match) => match[1] as PathParam);
}

export function hasBody(route: RouteSpec): boolean {
  return route.body !== undefined;
}
