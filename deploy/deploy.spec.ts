import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { environmentSchema } from '../infra/config/config.js';
import { createMetrics } from '../infra/metrics/metrics.js';
import { createRealtimeMetrics } from '../realtime/realtime.metrics.js';

/*
 * The deployment files are only ever run elsewhere (a Docker engine, a cluster), so
 * CI checks what would break them there: names that must match across files,
 * probes, limits, users, and that every setting and metric named is one Parley has.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
type Doc = Record<string, any>;

const configKeys = new Set(Object.keys(environmentSchema.shape));

const compose = parse(read('docker-compose.yml'), { merge: true }) as Doc;
const services = compose.services as Record<string, Doc>;
/** The services that run Parley's image. */
const parleyServices = Object.entries(services).filter(([, service]) => service.build !== undefined);

const k8sDir = 'deploy/k8s';
const k8sFiles = readdirSync(path.join(root, k8sDir)).filter((file) => /\.ya?ml$/.test(file));
const manifests: Doc[] = k8sFiles.flatMap((file) =>
  parseAllDocuments(read(path.join(k8sDir, file))).map((document) => {
    expect(document.errors, file).toEqual([]);
    return document.toJS() as Doc;
  }),
);
const ofKind = (kind: string) => manifests.filter((manifest) => manifest.kind === kind);
const deployments = ofKind('Deployment');
const configMaps = ofKind('ConfigMap');

/** The metric names an expression reads: what is left once strings, matchers, ranges, groupings and calls are gone. */
function metricNamesIn(expression: string): string[] {
  const bare = expression
    .replace(/"[^"]*"/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\b[a-z_]+\s*\(/g, ' (');
  return [...bare.matchAll(/\b[a-zA-Z_:][a-zA-Z0-9_:]*\b/g)]
    .map((match) => match[0])
    .filter((name) => !/^\d/.test(name));
}

describe('docker-compose.yml', () => {
  it('depends only on services that exist, and waits for health only where a healthcheck is defined', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, rule] of Object.entries((service.depends_on ?? {}) as Record<string, Doc>)) {
        expect(services, `${name} depends on ${dependency}`).toHaveProperty([dependency]);
        if (rule.condition === 'service_healthy')
          expect(services[dependency]?.healthcheck, `${dependency} needs a healthcheck`).toBeDefined();
      }
    }
  });

  it('runs two api/realtime replicas and a projector behind a load balancer, and the migrations once', () => {
    const commands = parleyServices.map(([, service]) => (service.command as string[]).join(' '));
    expect(commands.filter((command) => command.startsWith('serve') && command.includes('api'))).toHaveLength(
      2,
    );
    expect(commands.filter((command) => command.includes('projector'))).toHaveLength(1);
    expect(commands).toContain('migrate');
    const nginx = read('deploy/nginx/nginx.conf');
    for (const [name] of parleyServices.filter(([, s]) => (s.command as string[]).includes('api')))
      expect(nginx).toContain(`server ${name}:3000`);
    expect(nginx).toMatch(/proxy_set_header Upgrade \$http_upgrade/);
    expect(services.loadbalancer?.volumes).toContain('./deploy/nginx/nginx.conf:/etc/nginx/nginx.conf:ro');
  });

  it('gives Parley only settings infra/config/config.ts reads, and secrets without defaults', () => {
    for (const [name, service] of parleyServices) {
      const environment = service.environment as Record<string, string>;
      for (const key of Object.keys(environment)) expect(configKeys, `${name}: ${key}`).toContain(key);
      expect(environment.JWT_SECRET).toMatch(/^\$\{JWT_SECRET:\?/);
      if ((service.command as string[])[0] === 'serve')
        expect(service.healthcheck?.test?.join(' ') ?? '', name).toContain('/health');
    }
    expect(read('docker-compose.yml')).not.toMatch(/change-?me|secret123|password123/i);
  });

  it('mounts only files that exist in the repository', () => {
    for (const [name, service] of Object.entries(services))
      for (const volume of (service.volumes ?? []) as string[]) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('./'))
          expect(existsSync(path.join(root, source)), `${name}: ${source}`).toBe(true);
        else expect(compose.volumes, `${name}: named volume ${source}`).toHaveProperty([source]);
      }
  });

  it('has Prometheus scrape every Parley process on its metrics port', () => {
    const prometheus = parse(read('deploy/prometheus/prometheus.yml')) as Doc;
    const targets = (prometheus.scrape_configs as Doc[])
      .filter((job) => (job.metrics_path ?? '/metrics') === '/metrics')
      .flatMap((job) => (job.static_configs as Doc[]).flatMap((group) => group.targets as string[]));
    const running = parleyServices
      .filter(([, s]) => (s.command as string[])[0] === 'serve')
      .map(([name]) => name);
    expect(targets.sort()).toEqual(running.map((name) => `${name}:3000`).sort());
  });
});

describe('the Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  it('builds in stages and runs as a non-root user with a healthcheck on /health', () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim AS runtime$/m);
    expect(dockerfile).toMatch(/^USER (?!0|root)\S+/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK [\s\S]*\/health/m);
    expect(dockerfile).toMatch(/DATA_DIR=\/data/);
  });

  it('bundles the web client into the runtime image', () => {
    expect(dockerfile).toMatch(/npm run build:web/);
    expect(dockerfile).toMatch(/cp -r web\/dist \/runtime\/web\/dist/);
  });
});

describe('the Kubernetes manifests', () => {
  it('are all listed in the kustomization', () => {
    const [kustomization] = ofKind('Kustomization');
    expect([...(kustomization?.resources as string[])].sort()).toEqual(
      k8sFiles.filter((file) => file !== 'kustomization.yaml').sort(),
    );
  });

  it('have an api/realtime and a projector Deployment', () => {
    expect(deployments.map((deployment) => deployment.metadata.name).sort()).toEqual([
      'parley-api',
      'parley-projector',
    ]);
  });

  describe.each(deployments.map((deployment) => [deployment.metadata.name as string, deployment]))(
    'Deployment %s',
    (_name, deployment: Doc) => {
      const pod = deployment.spec.template.spec as Doc;
      const containers = pod.containers as Doc[];

      it('selects its own pods', () => {
        const labels = deployment.spec.template.metadata.labels as Record<string, string>;
        expect(labels).toMatchObject(deployment.spec.selector.matchLabels);
      });

      it('probes readiness on /ready and liveness on /health, on a port the container opens', () => {
        for (const container of containers) {
          const ports = (container.ports as Doc[]).flatMap((port) => [port.name, port.containerPort]);
          expect(container.readinessProbe?.httpGet?.path).toBe('/ready');
          expect(container.livenessProbe?.httpGet?.path).toBe('/health');
          expect(ports).toContain(container.readinessProbe.httpGet.port);
          expect(ports).toContain(container.livenessProbe.httpGet.port);
          expect(ports).toContain(3000);
        }
      });

      it('sets cpu and memory requests and limits', () => {
        for (const container of containers)
          for (const kind of ['requests', 'limits'])
            expect(Object.keys(container.resources?.[kind] ?? {}).sort()).toEqual(['cpu', 'memory']);
      });

      it('runs as non-root on a read-only root filesystem, with no privilege escalation', () => {
        for (const container of containers) {
          const security = { ...pod.securityContext, ...container.securityContext } as Doc;
          expect(security.runAsNonRoot).toBe(true);
          expect(security.runAsUser).toBeGreaterThan(0);
          expect(security.readOnlyRootFilesystem).toBe(true);
          expect(security.allowPrivilegeEscalation).toBe(false);
          // tsx writes its cache to the temp folder: it must be writable.
          expect((container.volumeMounts as Doc[]).map((mount) => mount.mountPath)).toContain('/tmp');
        }
      });

      it('sets only environment variables Parley reads, secrets from a Secret', () => {
        for (const container of containers) {
          const fromConfigMaps = ((container.envFrom ?? []) as Doc[]).flatMap((source) => {
            const configMap = configMaps.find((map) => map.metadata.name === source.configMapRef?.name);
            expect(configMap, `ConfigMap ${source.configMapRef?.name}`).toBeDefined();
            return Object.keys(configMap?.data ?? {});
          });
          const direct = ((container.env ?? []) as Doc[]).map((variable) => variable.name as string);
          for (const key of [...fromConfigMaps, ...direct]) expect(configKeys, key).toContain(key);
          const jwt = (container.env as Doc[]).find((variable) => variable.name === 'JWT_SECRET');
          expect(jwt?.valueFrom?.secretKeyRef?.name).toBeTruthy();
        }
      });
    },
  );

  it('scales an existing Deployment with the HorizontalPodAutoscaler', () => {
    const autoscalers = ofKind('HorizontalPodAutoscaler');
    expect(autoscalers.length).toBeGreaterThan(0);
    for (const hpa of autoscalers) {
      const target = hpa.spec.scaleTargetRef as Doc;
      expect(target.kind).toBe('Deployment');
      expect(deployments.map((deployment) => deployment.metadata.name)).toContain(target.name);
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    }
  });

  it("has the Service select a Deployment's pods and target a port they open", () => {
    for (const service of ofKind('Service')) {
      const selected = deployments.filter((deployment) =>
        Object.entries(service.spec.selector as Record<string, string>).every(
          ([key, value]) => deployment.spec.template.metadata.labels[key] === value,
        ),
      );
      expect(selected.map((deployment) => deployment.metadata.name)).toEqual(['parley-api']);
      const openPorts = (selected[0]!.spec.template.spec.containers as Doc[]).flatMap((container) =>
        (container.ports as Doc[]).flatMap((port) => [port.name, port.containerPort]),
      );
      for (const port of service.spec.ports as Doc[]) expect(openPorts).toContain(port.targetPort);
    }
  });

  it('routes the web client, the API and its docs from outside, and not /ready, /health or /metrics', () => {
    const [ingress] = ofKind('Ingress');
    const paths = (ingress?.spec.rules as Doc[]).flatMap((rule) => rule.http.paths as Doc[]);
    // Kubernetes path matching: Exact is the whole path, Prefix whole segments.
    const routed = (url: string) =>
      paths.some(({ path: route, pathType }) =>
        pathType === 'Exact'
          ? url === route
          : route === '/' || url === route || url.startsWith(`${String(route)}/`),
      );
    // The bundles of the last build (npm install builds the client), or a name of the same form.
    const assets = path.join(root, 'web/dist/assets');
    const built = (existsSync(assets) ? readdirSync(assets) : ['index-0a1b2c3d.js']).map(
      (file) => `/assets/${file}`,
    );
    for (const url of ['/', ...built, '/v1/conversations', '/v1/ws', '/docs', '/docs/json'])
      expect(routed(url), url).toBe(true);
    for (const url of ['/ready', '/health', '/metrics']) expect(routed(url), url).toBe(false);
  });

  it('has the Ingress route HTTP and the WebSocket to a Service port that exists', () => {
    const [ingress] = ofKind('Ingress');
    expect(ingress?.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']).toBeDefined();
    const paths = (ingress?.spec.rules as Doc[]).flatMap((rule) => rule.http.paths as Doc[]);
    expect(paths.some((entry) => '/v1/ws'.startsWith(entry.path))).toBe(true);
    for (const { backend } of paths) {
      const service = ofKind('Service').find((candidate) => candidate.metadata.name === backend.service.name);
      expect(service, backend.service.name).toBeDefined();
      const ports = (service?.spec.ports as Doc[]).flatMap((port) => [port.name, port.port]);
      expect(ports).toContain(backend.service.port.name ?? backend.service.port.number);
    }
  });
});

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(read('deploy/grafana/dashboards/parley.json')) as Doc;
  const expressions = (dashboard.panels as Doc[]).flatMap((panel) =>
    ((panel.targets ?? []) as Doc[]).map((target) => target.expr as string),
  );

  it('reads only metrics Parley registers', async () => {
    const metrics = createMetrics();
    createRealtimeMetrics(metrics.registry);
    const names = new Set((await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name));
    const used = expressions.flatMap(metricNamesIn).map((name) => name.replace(/_(bucket|count|sum)$/, ''));
    expect(used.length).toBeGreaterThan(10);
    for (const name of used) expect(names, `${name} in the dashboard`).toContain(name);
  });

  it('uses the provisioned Prometheus datasource', () => {
    const datasources = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as Doc;
    const uid = (datasources.datasources as Doc[])[0]?.uid as string;
    for (const panel of dashboard.panels as Doc[])
      if (panel.datasource) expect(panel.datasource.uid).toBe(uid);
  });
});
