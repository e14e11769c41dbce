import { randomUUID } from 'node:crypto';

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** A thin HTTP client over fetch: JSON in, `{status, body}` out, never throws on a 4xx. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly token?: string,
  ) {}

  as(token: string): ApiClient {
    return new ApiClient(this.baseUrl, token);
  }

  async request<T = any>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body: payload });
    const text = await response.text();
    return {
      status: response.status,
      body: (text ? JSON.parse(text) : undefined) as T,
      headers: response.headers,
    };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = any>(path: string, body?: unknown) {
    return this.request<T>('POST', path, body ?? {});
  }
  patch<T = any>(path: string, body?: unknown) {
    return this.request<T>('PATCH', path, body ?? {});
  }
  put<T = any>(path: string) {
    return this.request<T>('PUT', path);
  }
  delete<T = any>(path: string) {
    return this.request<T>('DELETE', path);
  }
}

export interface RegisteredUser {
  id: string;
  username: string;
  token: string;
  refreshToken: string;
  api: ApiClient;
}

/** Registers a fresh user through the public API and returns a client acting as them. */
export async function registerUser(api: ApiClient, label = 'user'): Promise<RegisteredUser> {
  const suffix = randomUUID().replace(/-/g, '').slice(0, 10);
  const username = `${label}_${suffix}`.toLowerCase().slice(0, 32);
  const response = await api.post('/v1/auth/register', {
    email: `${username}@example.test`,
    username,
    password: 'correct horse battery staple',
    displayName: `${label} ${suffix}`,
  });
  if (response.status !== 201)
    throw new Error(`register failed: ${response.status} ${JSON.stringify(response.body)}`);
  const body = response.body as {
    user: { id: string };
    tokens: { accessToken: string; refreshToken: string };
  };
  return {
    id: body.user.id,
    username,
    token: body.tokens.accessToken,
    refreshToken: body.tokens.refreshToken,
    api: api.as(body.tokens.accessToken),
  };
}
