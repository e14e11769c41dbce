import type { FastifyInstance } from 'fastify';

/**
 * Every `METHOD url` the app serves, read from fastify's own route tree
 * (`printRoutes`), so a route added anywhere shows up here without anyone listing it.
 * HEAD routes fastify adds beside each GET are left out: they run the GET's handler.
 */
export function registeredRoutes(app: FastifyInstance): string[] {
  const lines = app.printRoutes({ commonPrefix: false }).split('\n');
  const stack: string[] = [];
  const routes = new Set<string>();
  for (const line of lines) {
    const match = /^([│ ]*)(?:├── |└── )(.+?)(?: \(([^)]*)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    const segment = match[2]!;
    const parent = stack.join('');
    // A wildcard under a static node prints as `*`; it matches after a slash.
    stack.push(segment.startsWith('*') && !parent.endsWith('/') ? `/${segment}` : segment);
    const methods = (match[3] ?? '').split(',').map((method) => method.trim());
    for (const method of methods) {
      if (method && method !== 'HEAD') routes.add(`${method} ${stack.join('')}`);
    }
  }
  return [...routes].sort();
}
