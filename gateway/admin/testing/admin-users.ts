import { randomUUID } from 'node:crypto';
import type { ApiClient } from '../../../test/support/api-client.js';

/** Registers `username` (chosen by the test, so PARLEY_ADMINS can name it) and returns a client acting as them. */
export async function registerNamedUser(
  api: ApiClient,
  username: string,
): Promise<{ id: string; api: ApiClient }> {
  const response = await api.post('/v1/auth/register', {
    email: `${username}.${randomUUID().slice(0, 8)}@example.test`,
    username,
    password: 'correct horse battery staple',
    displayName: username,
  });
  if (response.status !== 201)
    throw new Error(`register failed: ${response.status} ${JSON.stringify(response.body)}`);
  const body = response.body as { user: { id: string }; tokens: { accessToken: string } };
  return { id: body.user.id, api: api.as(body.tokens.accessToken) };
}
