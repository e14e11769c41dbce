import { z } from 'zod';
import { DEFAULT_ANALYTICS_DAYS, MAX_ANALYTICS_DAYS } from '../../readmodels/analytics/analytics-range.js';

export const projectionStatusSchema = z
  .object({
    name: z.string(),
    version: z.number().int(),
    checkpoint: z.string().describe('Global position of the last event applied (64-bit, as a string)'),
    lagEvents: z.number().int().describe("Positions between the log's head and the checkpoint"),
    lagSeconds: z.number().describe('Age of the oldest event not applied yet; 0 when caught up'),
    parked: z.number().int().describe('Events that kept failing, set aside to replay'),
    status: z.enum(['running', 'stopped', 'catching_up', 'rebuilding']),
  })
  .meta({ id: 'ProjectionStatus' });

export const projectionListSchema = z.object({ items: z.array(projectionStatusSchema) });

export const rebuildParamsSchema = z.object({ name: z.string().min(1).max(200) });

export const rebuildStartedSchema = z
  .object({ name: z.string(), fromVersion: z.number().int(), toVersion: z.number().int() })
  .describe('The rebuild runs in the background; the projection list shows its progress');

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date, YYYY-MM-DD')
  .describe('A UTC day, YYYY-MM-DD, inclusive');

export const analyticsQuerySchema = z.object({
  from: day
    .optional()
    .describe(`First day, inclusive; default ${DEFAULT_ANALYTICS_DAYS - 1} days before \`to\``),
  to: day.optional().describe('Last day, inclusive; default today (UTC)'),
});

export const analyticsAnswerSchema = z
  .object({
    days: z.array(
      z.object({
        date: z.string().describe('YYYY-MM-DD (UTC)'),
        messages: z.number().int().describe('Messages sent that day, deleted ones included'),
        activeSenders: z.number().int().describe('Distinct users who sent a message that day'),
        medianFirstReplySeconds: z
          .number()
          .nullable()
          .describe(
            'Median wait for the first reply by someone else, over the runs of messages that started that day ' +
              'and were answered (a run: consecutive messages of one sender in a conversation); null when none',
          ),
      }),
    ),
  })
  .describe(
    `Every day from \`from\` to \`to\`, oldest first, days without messages included (zeros, null median). ` +
      `At most ${MAX_ANALYTICS_DAYS} days; a reversed or longer range, or a malformed date, is 400. ` +
      'Filled by the analytics projection: figures trail the log by its lag.',
  );
