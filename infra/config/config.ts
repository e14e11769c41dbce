import { z } from 'zod';

const optionalUrl = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .pipe(z.url().optional())
  .optional();

const seconds = z.coerce.number().int().positive();

/**
 * Everything Parley reads from the environment, validated once at start. A bad
 * value stops the process with a message that names the variable.
 */
export const environmentSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  DATA_DIR: z.string().default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * What this process runs: a comma-separated list of `api`, `realtime`, `projector`
   * (`parley serve --role` sets it). Empty: every role. Embedded mode always runs every role.
   */
  PARLEY_ROLES: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((role) => role.trim().toLowerCase())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(['api', 'realtime', 'projector']))),
  /** A standby projector tries to take the projector lock this often (milliseconds). */
  PROJECTOR_LOCK_RETRY_MS: z.coerce.number().int().min(50).max(60_000).default(3_000),
  /** Read models (and, unless EVENTSTORE_URL says otherwise, the event store). Unset: embedded PGlite. */
  DATABASE_URL: optionalUrl,
  /** `esdb://…` for EventStoreDB or `postgres://…`; defaults to DATABASE_URL, else embedded. */
  EVENTSTORE_URL: optionalUrl,
  REDIS_URL: optionalUrl,
  /** Prefix of every Redis key Parley writes, so several deployments (or test runs) can share one Redis. */
  REDIS_KEY_PREFIX: z.string().min(1).max(100).default('parley:'),
  ELASTICSEARCH_URL: optionalUrl,
  /** Attachments: S3 (or MinIO) at this endpoint; unset: local disk under DATA_DIR/attachments. */
  S3_ENDPOINT: optionalUrl,
  /** Where browsers reach the same store, which signed URLs point at; unset: S3_ENDPOINT. */
  S3_PUBLIC_ENDPOINT: optionalUrl,
  S3_BUCKET: z.string().min(3).max(63).default('parley-attachments'),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** Largest attachment accepted, in bytes (signed into every upload URL). */
  ATTACHMENT_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(25 * 1024 * 1024),
  /** Lifetime of upload and download URLs. */
  ATTACHMENT_URL_TTL_SECONDS: seconds.default(15 * 60),
  SMTP_URL: optionalUrl,
  /** How long a mailed password reset code works. */
  PASSWORD_RESET_CODE_TTL_SECONDS: seconds.default(15 * 60),
  /** The From of every mail Parley sends (password reset, offline digests). */
  MAIL_FROM: z.string().min(3).default('Parley <no-reply@parley.invalid>'),
  /** Offline digests: a message is mailed once it is this old, unread, and its reader has been offline as long. */
  NOTIFY_DELAY_SECONDS: seconds.default(10 * 60),
  /** Offline digests: at most one mail per user per this many seconds. */
  NOTIFY_INTERVAL_SECONDS: seconds.default(60 * 60),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** `production` makes JWT_SECRET mandatory (no generated key: every replica must be given the same one). */
  NODE_ENV: z.string().default('development'),
  /**
   * HMAC secret for access tokens; at least 32 characters. Unset: one is generated and
   * kept in the database, except with NODE_ENV=production, which refuses to start.
   */
  JWT_SECRET: z.string().min(32).optional(),
  ACCESS_TOKEN_TTL_SECONDS: seconds.default(15 * 60),
  REFRESH_TOKEN_TTL_SECONDS: seconds.default(30 * 24 * 60 * 60),
  /** Comma-separated usernames allowed to use /v1/admin/*. */
  PARLEY_ADMINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((name) => name.trim().toLowerCase())
        .filter(Boolean),
    ),
  /** Comma-separated browser origins allowed to open the WebSocket; empty allows any. */
  WS_ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    ),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(600),
  /** WebSocket: client frames per second per connection (sustained), and the burst allowed above it. */
  WS_RATE_LIMIT_PER_SECOND: z.coerce.number().positive().default(20),
  WS_RATE_LIMIT_BURST: z.coerce.number().int().positive().default(40),
  /** WebSocket: bytes queued for one client past which it is disconnected as a slow consumer. */
  WS_SEND_BUFFER_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(2 * 1024 * 1024),
  /**
   * WebSocket: a recipient's delivery receipts for one conversation go out at most once per
   * this window (the highest seq). In a busy group every sender hears from every recipient,
   * so this bounds those frames; longer is cheaper, shorter shows ticks sooner.
   */
  WS_DELIVERY_RECEIPT_WINDOW_MS: z.coerce.number().int().min(10).max(10_000).default(500),
  /** WebSocket: seconds between pings; a peer that misses one is dropped. */
  WS_HEARTBEAT_SECONDS: seconds.default(30),
  /** WebSocket: open connections one user may hold on one node; one more is closed with 4429. */
  WS_MAX_CONNECTIONS_PER_USER: z.coerce.number().int().min(1).default(32),
  /** Members a group may have, its creator included; one more is refused with bad_request. */
  GROUP_MAX_MEMBERS: z.coerce.number().int().min(2).max(100_000).default(1000),
  /**
   * Messages and members (and, apart, read markers) kept in memory to decide
   * commands without reading their streams, ~250 bytes each; past it the least
   * recently used conversations are dropped and read again when next used.
   */
  DECISION_CACHE_ENTRIES: z.coerce.number().int().min(1_000).default(1_000_000),
  /** WebSocket: users one connection may watch with `presence.subscribe`. */
  WS_PRESENCE_MAX_USERS: z.coerce.number().int().min(1).max(1000).default(500),
  /** Presence: wait after a user's last connection closes before saying offline (PROTOCOL.md: within 5 s). */
  PRESENCE_OFFLINE_GRACE_MS: z.coerce.number().int().min(0).max(4000).default(2000),
  /** Presence in Redis: a node's registrations lapse after this unless renewed (a crashed node's users go offline). */
  PRESENCE_TTL_SECONDS: z.coerce.number().int().min(3).default(30),
  /** HTTP answers carry `Strict-Transport-Security: max-age=<this>`; 0 sends none. Set it only behind TLS. */
  HSTS_MAX_AGE_SECONDS: z.coerce.number().int().min(0).default(0),
  /** Sign-in attempts per minute for one account (whatever the address) and from one address (whatever the account). */
  LOGIN_RATE_LIMIT_PER_ACCOUNT_PER_MINUTE: z.coerce.number().int().positive().default(10),
  LOGIN_RATE_LIMIT_PER_IP_PER_MINUTE: z.coerce.number().int().positive().default(60),
  /** Per source address; higher than per user because many users can share one address (NAT). */
  RATE_LIMIT_PER_IP_PER_MINUTE: z.coerce.number().int().positive().default(3000),
});

export type Config = z.infer<typeof environmentSchema>;

export class ConfigError extends Error {}

export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const parsed = environmentSchema.safeParse(environment);
  if (parsed.success && parsed.data.NODE_ENV === 'production' && !parsed.data.JWT_SECRET) {
    throw new ConfigError(
      'invalid configuration:\n  JWT_SECRET: required when NODE_ENV=production (32 or more random characters)',
    );
  }
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
}
