import { describeProjectionRebuild } from './projection-rebuild.suite.js';

describeProjectionRebuild('postgres');
