import type { Feature, Infrastructure } from './compose.js';
import { accountsFeature } from './features/accounts.feature.js';
import { adminFeature } from './features/admin.feature.js';
import { attachmentsFeature } from './features/attachments.feature.js';
import { conversationsFeature } from './features/conversations.feature.js';
import { notificationsFeature } from './features/notifications.feature.js';
import { realtimeFeature } from './features/realtime.feature.js';
import { searchFeature } from './features/search.feature.js';
import { unreadFeature } from './features/unread.feature.js';
import { webFeature } from './features/web.feature.js';

/** Every feature `npm start` runs, in the order they start (accounts first: the others need its auth plugin). */
export const allFeatures: readonly ((infrastructure: Infrastructure) => Feature | Promise<Feature>)[] = [
  accountsFeature(),
  conversationsFeature(),
  attachmentsFeature(),
  realtimeFeature(),
  searchFeature(),
  unreadFeature(),
  notificationsFeature(),
  adminFeature(),
  // The web client: `/`, its files, and `index.html` for paths no route above serves.
  webFeature(),
];
