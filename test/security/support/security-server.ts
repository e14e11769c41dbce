import { accountsFeature } from '../../../app/features/accounts.feature.js';
import { allFeatures } from '../../../app/features.js';
import { TEST_PASSWORD_HASH_COST } from '../../../gateway/auth/testing/accounts-server.js';
import { startTestServer, type TestMode, type TestServer } from '../../support/server.js';

/**
 * `npm start`'s features, with password hashing at the tests' low cost: accounts is
 * first in `allFeatures` (the others need its auth plugin), so it is the one replaced.
 */
export const cheapHashingFeatures = [
  accountsFeature({ passwordHashCost: TEST_PASSWORD_HASH_COST }),
  ...allFeatures.slice(1),
];

/** Every feature on a real server, limits raised so a long table of requests is never throttled. */
export function startSecurityServer(
  mode: TestMode = 'postgres',
  environment: Record<string, string> = {},
): Promise<TestServer> {
  return startTestServer(
    mode,
    {
      RATE_LIMIT_PER_MINUTE: '100000',
      RATE_LIMIT_PER_IP_PER_MINUTE: '100000',
      WS_RATE_LIMIT_BURST: '1000',
      ...environment,
    },
    cheapHashingFeatures,
  );
}
