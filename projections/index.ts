import { conversationsProjection } from './conversations/conversations.projection.js';
import { messagesProjection } from './messages/messages.projection.js';
import type { Projection } from './projection.js';

export type { Projection } from './projection.js';
export {
  ProjectionRunner,
  type ProjectionRunnerOptions,
  type ProjectionStatus,
} from './runner/projection-runner.js';
export { conversationsProjection } from './conversations/conversations.projection.js';
export { messagesProjection } from './messages/messages.projection.js';

/** The projections behind the chat read models (`readmodels/conversations`, `readmodels/messages`). */
export const chatProjections: Projection[] = [conversationsProjection, messagesProjection];
