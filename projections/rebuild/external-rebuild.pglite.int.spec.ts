import { describeExternalRebuild } from './external-rebuild.suite.js';

describeExternalRebuild('pglite');
