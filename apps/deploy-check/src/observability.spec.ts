import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import type { IService } from 'kubernetes-models/v1';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { composeModel } from './support/compose';
import { renderKustomization, type K8sObject } from './support/kustomize';
import { allows, allowsEgressToNamespace, containerPort, find, matches, pods, resolvedEnv, type Pod } from './support/kubernetes';
import { APP_PORTS, APPS, readRepoFile, ROOT } from './support/repo';

// Traces, metrics and the dashboard as docker-compose and Kubernetes run them (PLATFORM.md, "Observability").
// That every metric the dashboard queries exists is proven on the running services: apps/platform-e2e/src/dashboard-metrics.spec.ts.

const OBSERVABILITY = 'docker/observability';
const { services } = composeModel();

/** `./docker/...:/target[:ro]` volumes of a compose service, as source -> target. */
function mounts(service: string): Map<string, string> {
  return new Map((services[service].volumes ?? []).map((volume) => volume.split(':') as [string, string]));
}

describe('docker-compose.yml: Jaeger, Prometheus and Grafana', () => {
  it('pins every image to a version', () => {
    for (const [name, service] of Object.entries(services)) {
      const tag = /:([^/:]+)$/.exec(service.image ?? '')?.[1];
      expect(tag, `${name} image ${service.image}`).toBeDefined();
      // A version (`16-alpine`, `v2.55.1`), never a moving `latest`; the apps' own images are built here.
      if (!APPS.includes(name as (typeof APPS)[number])) expect(tag, `${name} image ${service.image}`).toMatch(/^v?\d+(\.\d+)*(-\w+)?$/);
    }
  });

  it.each(APPS)('sends the traces of %s to Jaeger over OTLP/HTTP and logs JSON lines', (app) => {
    const endpoint = new URL(services[app].environment!['OTEL_EXPORTER_OTLP_ENDPOINT']);
    expect(`${endpoint.protocol}//${endpoint.host}${endpoint.pathname}`).toBe('http://jaeger:4318/');
    expect(services['jaeger'].expose).toContain('4318');
    expect(services[app].environment!['LOG_FORMAT']).toBe('json');
  });

  it('shows the Jaeger UI, Prometheus and Grafana on ports of their own, to this machine only', () => {
    expect(services['jaeger'].ports).toEqual(['127.0.0.1:16686:16686']);
    expect(services['prometheus'].ports).toEqual(['127.0.0.1:9090:9090']);
    expect(services['grafana'].ports).toEqual(['127.0.0.1:3001:3000']);
  });

  it("scrapes every service's /metrics on the port it serves, and loads the alert rules", () => {
    const config = parse(readRepoFile(`${OBSERVABILITY}/prometheus.yml`)) as PrometheusConfig;
    const jobs = Object.fromEntries(config.scrape_configs.map((job) => [job.job_name, job]));
    expect(Object.keys(jobs).sort()).toEqual([...APPS].sort());
    for (const app of APPS) {
      expect(jobs[app].metrics_path ?? '/metrics', app).toBe('/metrics');
      expect(jobs[app].static_configs.flatMap((group) => group.targets)).toEqual([`${app}:${APP_PORTS[app].port}`]);
      expect(services[app].expose).toContain(String(APP_PORTS[app].port));
    }
    const volumes = mounts('prometheus');
    const configFile = /^--config\.file=(.+)$/.exec(services['prometheus'].command!.find((arg) => arg.startsWith('--config.file='))!)![1];
    expect(volumes.get(`./${OBSERVABILITY}/prometheus.yml`)).toBe(configFile);
    for (const ruleFile of config.rule_files) expect([...volumes.values()], `rule file ${ruleFile} is mounted`).toContain(ruleFile);
    for (const source of volumes.keys()) expect(existsSync(resolve(ROOT, source)), source).toBe(true);
  });

  it('gives every alert a severity and a summary', () => {
    const rules = parse(readRepoFile(`${OBSERVABILITY}/rules.yml`)) as { groups: Array<{ rules: Array<Record<string, unknown>> }> };
    const alerts = rules.groups.flatMap((group) => group.rules);
    expect(alerts.length).toBeGreaterThan(0);
    for (const alert of alerts) {
      expect(alert, String(alert['alert'])).toMatchObject({ alert: expect.any(String), expr: expect.any(String), labels: { severity: expect.any(String) } });
      expect((alert['annotations'] as { summary?: string }).summary, String(alert['alert'])).toBeTruthy();
    }
  });

  it('provisions Grafana with the Prometheus datasource and the platform dashboard, whose every panel uses it', () => {
    const provisioning = `${OBSERVABILITY}/grafana/provisioning`;
    const datasources = (
      parse(readRepoFile(`${provisioning}/datasources/prometheus.yml`)) as { datasources: Array<{ uid: string; type: string; url: string }> }
    ).datasources;
    expect(datasources).toHaveLength(1);
    const url = new URL(datasources[0].url);
    expect(services[url.hostname]?.expose, `datasource ${url}`).toContain(url.port);
    const providers = (parse(readRepoFile(`${provisioning}/dashboards/mediamagic.yml`)) as { providers: Array<{ options: { path: string } }> }).providers;
    const volumes = mounts('grafana');
    expect(volumes.get(`./${provisioning}`)).toBe('/etc/grafana/provisioning');
    expect(volumes.get(`./${OBSERVABILITY}/grafana/dashboards`)).toBe(providers[0].options.path);
    const home = services['grafana'].environment!['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH'];
    expect(home.startsWith(`${providers[0].options.path}/`)).toBe(true);

    const dashboard = JSON.parse(readRepoFile(`${OBSERVABILITY}/grafana/dashboards/${home.slice(providers[0].options.path.length + 1)}`)) as Dashboard;
    const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
    for (const panel of panels) {
      expect(panel.datasource.uid, panel.title).toBe(datasources[0].uid);
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets) expect(target.datasource.uid, panel.title).toBe(datasources[0].uid);
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
    }
    const titles = panels.map((panel) => panel.title.toLowerCase()).join('\n');
    for (const topic of [
      'published per subject',
      'handler latency',
      'consumer pending',
      'outbox backlog',
      'oldest',
      'dead letters',
      'requests',
      'errors',
      'latency per route',
    ]) {
      expect(titles, topic).toContain(topic);
    }
  });
});

const OVERLAYS = ['development', 'production'] as const;
const COMPONENT = resolve(ROOT, 'k8s/components/prometheus-operator');

describe.each(OVERLAYS)('k8s/overlays/%s: traces and metrics', (overlay) => {
  const objects = renderKustomization(resolve(ROOT, 'k8s/overlays', overlay), { exampleSecrets: true });
  const policies = objects.filter((object) => object.kind === 'NetworkPolicy') as unknown as INetworkPolicy[];
  const podOf = (app: string) => pods(objects).find((pod) => pod.namespace === 'mediamagic' && pod.name === app)!;
  const prometheus: Pod = { workload: {} as K8sObject, namespace: 'monitoring', name: 'prometheus', labels: {}, spec: { containers: [] } };

  it.each(APPS)('sends the traces of %s to the OTLP endpoint of the ConfigMap, which the network policies let it reach', (app) => {
    const env = resolvedEnv(objects, 'mediamagic', podOf(app).spec.containers[0]);
    const endpoint = new URL(env['OTEL_EXPORTER_OTLP_ENDPOINT']!);
    expect(endpoint.hostname).toMatch(/\.svc\.cluster\.local$/);
    expect(endpoint.port).toBe('4318');
    // The demo's Jaeger, or a collector outside the manifests (in its own namespace).
    const [service, namespace] = endpoint.hostname.split('.');
    const receiver = find(objects, 'Service', namespace, service) as unknown as IService | undefined;
    if (receiver) {
      const receivers = pods(objects).filter((pod) => pod.namespace === namespace && matches({ matchLabels: receiver.spec!.selector }, pod.labels));
      expect(receivers.length, `${endpoint.hostname} selects pods`).toBeGreaterThan(0);
      for (const pod of receivers) {
        expect(containerPort(pod, 4318)).toBe(4318);
        expect(allows(policies, podOf(app), pod, 4318), `${app} -> ${pod.name}:4318`).toBe(true);
      }
    } else expect(allowsEgressToNamespace(policies, podOf(app), namespace, 4318)).toBe(true);
    expect(env['LOG_FORMAT']).toBe('json');
  });

  it.each(APPS)('lets Prometheus scrape /metrics of %s on its named port, as the annotations say', (app) => {
    const pod = podOf(app);
    const annotations = (pod.workload['spec'] as { template: { metadata: { annotations?: Record<string, string> } } }).template.metadata.annotations ?? {};
    const port = APP_PORTS[app].port;
    expect(annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': '/metrics' });
    const named = pod.spec.containers[0].ports!.find((declared) => declared.containerPort === port);
    expect(named?.name, `${app} names port ${port}`).toBe(app === 'gateway' ? 'http' : 'health');
    if (app !== 'gateway') expect(resolvedEnv(objects, 'mediamagic', pod.spec.containers[0])['HEALTH_PORT']).toBe(String(port));
    expect(allows(policies, prometheus, pod, port), `monitoring -> ${app}:${port}`).toBe(true);
  });

  it('lets Prometheus reach nothing else than the metrics ports', () => {
    for (const pod of pods(objects)) {
      for (const declared of pod.spec.containers.flatMap((container) => container.ports ?? [])) {
        const metricsPort = pod.namespace === 'mediamagic' && APPS.some((app) => app === pod.name && APP_PORTS[app].port === declared.containerPort);
        expect(allows(policies, prometheus, pod, declared.containerPort), `${pod.name}:${declared.containerPort}`).toBe(metricsPort);
      }
    }
  });

  it('with the Prometheus Operator component, scrapes every service through one PodMonitor', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-check-'));
    try {
      writeFileSync(join(dir, 'kustomization.yaml'), `resources:\n  - ${resolve(ROOT, 'k8s/overlays', overlay)}\ncomponents:\n  - ${COMPONENT}\n`);
      const withComponent = renderKustomization(dir, { exampleSecrets: true });
      const monitors = withComponent.filter((object) => object.kind === 'PodMonitor');
      expect(monitors).toHaveLength(1);
      expect(monitors[0].apiVersion).toBe('monitoring.coreos.com/v1');
      expect(find(withComponent, 'PodMonitor', 'mediamagic', monitors[0].metadata.name)).toBeDefined();
      const spec = monitors[0]['spec'] as PodMonitorSpec;
      const selected = pods(withComponent).filter((pod) => pod.namespace === 'mediamagic' && matches(spec.selector, pod.labels));
      expect(selected.map((pod) => pod.name).sort()).toEqual([...APPS].sort());
      for (const pod of selected) {
        const endpoints = spec.podMetricsEndpoints.filter((endpoint) => containerPort(pod, endpoint.port) !== undefined);
        expect(endpoints, `${pod.name} is scraped once`).toHaveLength(1);
        expect(containerPort(pod, endpoints[0].port)).toBe(APP_PORTS[pod.name as (typeof APPS)[number]].port);
        expect(endpoints[0].path).toBe('/metrics');
        expect(pod.labels[spec.jobLabel], 'the job label names the app').toBe(pod.name);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

interface PrometheusConfig {
  rule_files: string[];
  scrape_configs: Array<{ job_name: string; metrics_path?: string; static_configs: Array<{ targets: string[] }> }>;
}

interface Dashboard {
  panels: Array<{
    id: number;
    type: string;
    title: string;
    datasource: { uid: string };
    gridPos: { x: number; w: number };
    targets: Array<{ expr: string; datasource: { uid: string } }>;
  }>;
}

interface PodMonitorSpec {
  selector: { matchLabels: Record<string, string> };
  jobLabel: string;
  podMetricsEndpoints: Array<{ port: string; path: string }>;
}
