import { describeProjectionRunner } from './projection-runner.suite.js';

describeProjectionRunner('postgres');
