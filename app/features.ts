import type { Feature, Infrastructure } from './compose.js';
import { accountsFeature } from './features/accounts.feature.js';

/** Every feature `npm start` runs, in the order they start. */
export const allFeatures: readonly ((infrastructure: Infrastructure) => Feature | Promise<Feature>)[] = [
  accountsFeature(),
];
