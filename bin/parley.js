#!/usr/bin/env node
// The `parley` command. Parley ships TypeScript sources run by tsx (no build step),
// so this registers tsx's loader in this process and imports the CLI: no child
// process, so signals (SIGTERM from a container runtime) reach the server directly.
import { register } from 'tsx/esm/api';

register();
await import('../app/cli/cli.ts');
