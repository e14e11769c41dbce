import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { ApiClient } from '../../test/support/api-client.js';
import { waitFor } from '../../test/support/wait-for.js';
import { PROJECTOR_LOCK_APPLICATION_NAME } from '../projector-role.js';

/** Direct SQL on the shared database: what the processes committed, seen from outside them. */
export class ReadModelAudit {
  private constructor(private readonly client: pg.Client) {}

  static async open(databaseUrl: string): Promise<ReadModelAudit> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    return new ReadModelAudit(client);
  }

  close(): Promise<void> {
    return this.client.end();
  }

  /** Backends holding the projector's advisory lock right now (pg_locks, granted). */
  async projectorLockHolders(): Promise<number> {
    const { rows } = await this.client.query<{ holders: number }>(
      `select count(*)::int as holders
         from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.granted and a.application_name = $1
          and l.database = (select oid from pg_database where datname = current_database())`,
      [PROJECTOR_LOCK_APPLICATION_NAME],
    );
    return rows[0]?.holders ?? 0;
  }

  /** Ends the lock connections' backends, as a database failover or a cut network would. */
  async terminateProjectorLockSessions(): Promise<number> {
    const { rowCount } = await this.client.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
        where application_name = $1 and datname = current_database()`,
      [PROJECTOR_LOCK_APPLICATION_NAME],
    );
    return rowCount ?? 0;
  }

  /** Waits until every projection's checkpoint reached the log's head as it is now. */
  async waitForCatchUp(timeoutMs = 30_000): Promise<void> {
    const head = await this.scalar(`select coalesce(max(position), 0)::text as value from es_events`);
    await waitFor(
      `projections to reach position ${head}`,
      async () =>
        BigInt(
          await this.scalar(`select coalesce(min(position), 0)::text as value from projection_checkpoints`),
        ) >= BigInt(head),
      timeoutMs,
    );
  }

  /** Message ids in the log (one per MessageSent event) and in the messages read model. */
  async messageIds(): Promise<{ logged: string[]; projected: string[] }> {
    const logged = await this.client.query<{ id: string }>(
      `select data->>'messageId' as id from es_events where type = 'MessageSent' order by position`,
    );
    const projected = await this.client.query<{ id: string }>(`select id::text from messages order by id`);
    return { logged: logged.rows.map((row) => row.id), projected: projected.rows.map((row) => row.id) };
  }

  /**
   * Messages counted by the analytics projection, whose counters are increments
   * (`messages = messages + n`): an event applied twice shows up here as a surplus.
   */
  async countedMessages(): Promise<number> {
    return Number(
      await this.scalar(`select coalesce(sum(messages), 0)::text as value from analytics_conversation_days`),
    );
  }

  private async scalar(sql: string): Promise<string> {
    const { rows } = await this.client.query<{ value: string }>(sql);
    return rows[0]?.value ?? '0';
  }
}

/** Sends one message over REST; resolves to its id when acked (201), undefined otherwise. */
export async function sendMessage(
  api: ApiClient,
  conversationId: string,
  body: string,
): Promise<string | undefined> {
  try {
    const response = await api.post(`/v1/conversations/${conversationId}/messages`, {
      clientMsgId: randomUUID(),
      body,
    });
    return response.status === 201 ? (response.body as { id: string }).id : undefined;
  } catch {
    // The server went away mid-request: not acked.
    return undefined;
  }
}
