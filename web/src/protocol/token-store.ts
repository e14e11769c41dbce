import type { Tokens } from './types';

/** Where the session's tokens live between page loads; `expiresAt` is epoch milliseconds. */
export interface StoredTokens extends Tokens {
  expiresAt: number;
}

export interface TokenStore {
  load(): StoredTokens | null;
  save(tokens: StoredTokens | null): void;
}

/** Kept in memory only (tests, or a browser without storage). */
export function memoryTokenStore(): TokenStore {
  let current: StoredTokens | null = null;
  return {
    load: () => current,
    save: (tokens) => {
      current = tokens;
    },
  };
}

/** Kept in `localStorage` under `key`, so a reload stays signed in. */
export function localTokenStore(storage: Storage, key = 'parley.tokens'): TokenStore {
  return {
    load() {
      const raw = storage.getItem(key);
      if (!raw) return null;
      try {
        return JSON.parse(raw) as StoredTokens;
      } catch {
        return null;
      }
    },
    save(tokens) {
      if (tokens) storage.setItem(key, JSON.stringify(tokens));
      else storage.removeItem(key);
    },
  };
}
