import { createHmac, randomUUID } from 'node:crypto';
import { accountsFeature } from '../../../app/features/accounts.feature.js';
import { startTestServer, type TestMode, type TestServer } from '../../../test/support/server.js';

/** N = 2^10: about a millisecond a hash instead of OWASP's half second. */
export const TEST_PASSWORD_HASH_COST = 10;

/** A real server (and projection runner) with the accounts feature at a low hashing cost. */
export function startAccountsServer(mode: TestMode): Promise<TestServer> {
  return startTestServer(mode, {}, [accountsFeature({ passwordHashCost: TEST_PASSWORD_HASH_COST })]);
}

export interface ApiResponse<Body = unknown> {
  status: number;
  body: Body;
  headers: Headers;
}

/** One JSON request; `body` may be a string to send as it is (malformed JSON, say). */
// Answers are checked with `expect`, not trusted for their type: `any` keeps the assertions short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function call<Body = any>(
  server: TestServer,
  method: string,
  path: string,
  options: { body?: unknown; token?: string } = {},
): Promise<ApiResponse<Body>> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers,
    body:
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text ? JSON.parse(text) : undefined) as Body,
    headers: response.headers,
  };
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export interface Me {
  id: string;
  username: string;
  displayName: string;
  createdAt: string;
  email: string;
}

export interface Registered {
  user: Me;
  tokens: Tokens;
  password: string;
}

/** A name no other test uses: 3 to 32 of a-z, 0-9. */
export const uniqueName = (prefix = 'u') => `${prefix}${randomUUID().replace(/-/g, '').slice(0, 12)}`;

/** Registers a fresh user (201 expected) and answers their Me, tokens and password. */
export async function registerUser(
  server: TestServer,
  fields: Partial<{ email: string; username: string; password: string; displayName: string }> = {},
): Promise<Registered> {
  const username = fields.username ?? uniqueName();
  const password = fields.password ?? `pw-${randomUUID()}`;
  const response = await call<{ user: Me; tokens: Tokens }>(server, 'POST', '/v1/auth/register', {
    body: {
      email: fields.email ?? `${username}@example.org`,
      username,
      password,
      displayName: fields.displayName ?? `Display ${username}`,
    },
  });
  if (response.status !== 201) throw new Error(`registration failed: ${JSON.stringify(response.body)}`);
  return { ...response.body, password };
}

/** A JWT signed by hand, to present tokens the server never issued. */
export function forgeJwt(header: object, payload: object, secret: Buffer | string | undefined): string {
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const unsigned = `${encode(header)}.${encode(payload)}`;
  if (secret === undefined) return `${unsigned}.`;
  const algorithm = (header as { alg?: string }).alg === 'HS512' ? 'sha512' : 'sha256';
  return `${unsigned}.${createHmac(algorithm, secret).update(unsigned).digest('base64url')}`;
}

/** The key the server generated and keeps in its database (no JWT_SECRET in tests). */
export async function serverJwtSecret(server: TestServer): Promise<Buffer> {
  const rows = await server.parley.infrastructure.sql.query<{ value: string }>(
    "select value from parley_secrets where name = 'jwt'",
  );
  return Buffer.from(rows[0]?.value ?? '', 'base64');
}
