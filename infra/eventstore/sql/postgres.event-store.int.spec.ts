import { describeEventStoreConformance } from '../event-store.conformance.js';
import { openPostgresEventStore } from '../open-event-store.js';
import { createTestDatabase } from '../../../test/support/postgres.js';

describeEventStoreConformance('postgres', async () => {
  const database = await createTestDatabase('eventstore');
  return {
    canHoldTransactions: true,
    open: (options) => openPostgresEventStore(database.url, { ...options, poolSize: 4 }),
    cleanup: () => database.drop(),
  };
});
