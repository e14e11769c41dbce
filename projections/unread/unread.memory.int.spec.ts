import { createMemoryUnreadCounters } from '../../infra/unread/memory.unread-counters.js';
import { unreadProjectionSuite } from './testing/unread-projection.suite.js';

unreadProjectionSuite('in process', async () => createMemoryUnreadCounters());
