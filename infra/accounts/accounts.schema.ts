import type { Migration } from '../sql/migrate.js';

/**
 * Credentials and sessions: state, never events. They can be erased (or a
 * password changed) without rewriting history, and a password hash never leaves
 * this database.
 *
 * Emails and usernames are stored lowercased and unique in plain `text`: citext
 * would need an extension that embedded PGlite does not load by default.
 */
export const accountsMigrations: Migration[] = [
  {
    id: '001-accounts',
    sql: `
      create table accounts (
        user_id uuid primary key,
        email text not null,
        username text not null,
        password_hash text not null,
        created_at timestamptz not null default now(),
        constraint accounts_email_unique unique (email),
        constraint accounts_username_unique unique (username),
        constraint accounts_email_lowercase check (email = lower(email)),
        constraint accounts_username_lowercase check (username = lower(username))
      );

      -- One row per refresh token ever issued. A family is one login's chain of
      -- rotations: spending a token twice revokes every token of its family.
      create table refresh_tokens (
        id uuid primary key,
        family_id uuid not null,
        user_id uuid not null references accounts (user_id) on delete cascade,
        token_hash text not null,
        expires_at timestamptz not null,
        used_at timestamptz,
        revoked_at timestamptz,
        created_at timestamptz not null default now(),
        constraint refresh_tokens_hash_unique unique (token_hash)
      );
      create index refresh_tokens_family on refresh_tokens (family_id);
      create index refresh_tokens_user on refresh_tokens (user_id);

      -- Secrets every instance sharing this database must agree on (the JWT key).
      create table parley_secrets (
        name text primary key,
        value text not null,
        created_at timestamptz not null default now()
      );
    `,
  },
];
