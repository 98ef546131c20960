import { resolve } from 'node:path';
import type { IProbe, IService } from 'kubernetes-models/v1';
import type { INetworkPolicy, IIngress } from 'kubernetes-models/networking.k8s.io/v1';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { IStatefulSet } from 'kubernetes-models/apps/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { loadConfig } from '@mediamagic/runtime';
import { describe as describeObject, renderKustomization, secretValue, type K8sObject } from './support/kustomize';
import { schemaProblems } from './support/kubernetes-schema';
import {
  allows,
  allowsEgressToCidr,
  allowsEgressToNamespace,
  containerPort,
  EXTERNAL_NAMESPACES,
  find,
  matches,
  pods,
  resolvedEnv,
  type Pod,
} from './support/kubernetes';
import { APP_PORTS, APPS, appConfigSchema, DATABASES, initScriptDatabases, natsUsers, readRepoFile, ROOT, type App } from './support/repo';

const PLATFORM = 'mediamagic';
const NATS = 'nats';

/**
 * Variables an app reads that Kubernetes deliberately leaves unset, each with why. Everything else an
 * app's config schema declares must be set.
 */
const DELIBERATELY_UNSET: Partial<Record<App, Record<string, string>>> = {};

const OVERLAYS = [
  { name: 'development', demo: true, tag: 'dev' },
  // Rendered with the committed *.env.example files standing in for the git-ignored secrets.
  { name: 'production', demo: false, tag: '0.1.0' },
] as const;

describe.each(OVERLAYS)('k8s/overlays/$name', ({ name: overlay, demo, tag }) => {
  const objects = renderKustomization(resolve(ROOT, 'k8s/overlays', overlay), { exampleSecrets: true });
  const allPods = pods(objects);
  const policies = objects.filter((object) => object.kind === 'NetworkPolicy') as unknown as INetworkPolicy[];
  const podOf = (namespace: string, name: string) => allPods.find((pod) => pod.namespace === namespace && pod.name === name)!;
  const appContainer = (app: App) => podOf(PLATFORM, app).spec.containers[0];

  it('renders only objects valid against the Kubernetes schemas of their kinds, each once', () => {
    const problems = objects.flatMap((object) => schemaProblems(object).map((problem) => `${describeObject(object)}: ${problem}`));
    expect(problems).toEqual([]);
    const ids = objects.map(describeObject);
    expect(ids.filter((id, index) => ids.indexOf(id) !== index)).toEqual([]);
    expect(
      objects
        .filter((object) => object.kind === 'Namespace')
        .map((object) => object.metadata.name)
        .sort(),
    ).toEqual([PLATFORM, NATS]);
    expect(objects.every((object) => object.kind === 'Namespace' || [PLATFORM, NATS].includes(object.metadata.namespace!))).toBe(true);
  });

  it('checks what it should: a misspelt field is an error', () => {
    const deployment = structuredClone(find(objects, 'Deployment', PLATFORM, 'gateway')!);
    const container = (deployment['spec'] as { template: { spec: { containers: Array<Record<string, unknown>> } } }).template.spec.containers[0];
    container['readinessprobe'] = container['readinessProbe'];
    expect(schemaProblems(deployment)).toEqual(['unknown field /spec/template/spec/containers/0/readinessprobe']);
  });

  describe('the NATS cluster', () => {
    const statefulSet = find(objects, 'StatefulSet', NATS, 'nats') as unknown as IStatefulSet;
    const nats = podOf(NATS, 'nats');
    const natsConf = readRepoFile('k8s/base/nats/nats.conf');

    it('runs three members with persistent JetStream storage', () => {
      expect(statefulSet.spec!.replicas).toBe(3);
      expect(natsConf).toMatch(/^jetstream\s*\{\s*store_dir: \/data/m);
      expect(statefulSet.spec!.volumeClaimTemplates!.map((claim) => claim.metadata!.name)).toEqual(['data']);
      expect(nats.spec.containers[0].volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
    });

    it('has a headless service with the client, cluster and monitoring ports, which the routes use', () => {
      const service = find(objects, 'Service', NATS, statefulSet.spec!.serviceName!) as unknown as IService;
      expect(service.spec!.clusterIP).toBe('None');
      expect(matches(service.spec!.selector ? { matchLabels: service.spec!.selector } : undefined, nats.labels)).toBe(true);
      const ports = Object.fromEntries(service.spec!.ports!.map((port) => [port.name, containerPort(nats, port.targetPort!)]));
      expect(ports).toEqual({ client: 4222, cluster: 6222, monitor: 8222 });
      expect(natsConf).toMatch(/^port: 4222$/m);
      expect(natsConf).toMatch(/^http_port: 8222$/m);
      expect(natsConf).toMatch(/^\s+port: 6222$/m);
      const routes = [...natsConf.matchAll(/nats:\/\/([\w.-]+):(\d+)/g)].map(([, host, port]) => `${host}:${port}`);
      const members = Array.from({ length: statefulSet.spec!.replicas! }, (_, i) => `nats-${i}.${service.metadata!.name}.${NATS}.svc.cluster.local:6222`);
      expect(routes).toEqual(members);
    });

    it('probes /healthz on the monitoring port and enters lame duck mode before it stops', () => {
      const container = nats.spec.containers[0];
      expect(httpProbe(nats, container.startupProbe)).toEqual({ path: '/healthz', port: 8222 });
      expect(httpProbe(nats, container.readinessProbe)).toEqual({ path: '/healthz?js-server-only=true', port: 8222 });
      expect(httpProbe(nats, container.livenessProbe)).toEqual({ path: '/healthz?js-enabled-only=true', port: 8222 });
      const pidFile = /^pid_file: (\S+)$/m.exec(natsConf)![1];
      expect(container.lifecycle?.preStop?.exec?.command).toEqual(['nats-server', '--signal', `ldm=${pidFile}`]);
      expect(container.volumeMounts!.some((mount) => pidFile.startsWith(`${mount.mountPath}/`))).toBe(true);
      expect(natsConf).toMatch(/^lame_duck_duration: (\d+)s$/m);
      const lameDuck = Number(/^lame_duck_duration: (\d+)s$/m.exec(natsConf)![1]) + Number(/^lame_duck_grace_period: (\d+)s$/m.exec(natsConf)![1]);
      expect(nats.spec.terminationGracePeriodSeconds).toBeGreaterThan(lameDuck);
    });

    it('keeps a quorum through voluntary disruptions', () => {
      const budgets = objects.filter((object) => object.kind === 'PodDisruptionBudget') as unknown as IPodDisruptionBudget[];
      expect(budgets).toHaveLength(1);
      expect(matches(budgets[0].spec!.selector, nats.labels)).toBe(true);
      expect(budgets[0].spec!.maxUnavailable).toBe(1);
    });

    it('reads the authorization compose uses, and has every password it refers to', () => {
      const config = find(objects, 'ConfigMap', NATS, 'nats-config')!['data'] as Record<string, string>;
      expect(config['nats.conf']).toBe(natsConf);
      expect(config['authorization.conf'], 'k8s/base/nats/authorization.conf must be a copy of docker/nats/authorization.conf').toBe(
        readRepoFile('docker/nats/authorization.conf'),
      );
      const env = { ...environmentFrom(objects, nats), ...resolvedEnv(objects, NATS, nats.spec.containers[0]) };
      const variables = [...`${config['nats.conf']}\n${config['authorization.conf']}`.matchAll(/: \$(\w+)/g)].map(([, variable]) => variable);
      for (const variable of variables) expect(env[variable], `nats-server needs ${variable}`).toBeTruthy();
    });
  });

  describe.each(APPS)('%s', (app) => {
    it('has a Deployment and a Service that selects its pods on the port it serves', () => {
      const pod = podOf(PLATFORM, app);
      const service = find(objects, 'Service', PLATFORM, app) as unknown as IService;
      expect(pod.workload.kind).toBe('Deployment');
      expect(matches({ matchLabels: service.spec!.selector }, pod.labels)).toBe(true);
      expect(service.spec!.ports!.map((port) => containerPort(pod, port.targetPort!))).toEqual([APP_PORTS[app].port]);
      expect(appContainer(app).image).toBe(`mediamagic/${app}:${tag}`);
    });

    it('sets every variable it reads, to a value it accepts', async () => {
      const schema = await appConfigSchema(app);
      const env = resolvedEnv(objects, PLATFORM, appContainer(app));
      const unset = Object.keys(schema.shape).filter((name) => env[name] === undefined && !(name in (DELIBERATELY_UNSET[app] ?? {})));
      expect(unset, `variables of ${app} not set (or referring to a missing ConfigMap/Secret key)`).toEqual([]);
      expect(() => loadConfig(schema, env as Record<string, string>)).not.toThrow();
      expect(env[APP_PORTS[app].variable]).toBe(String(APP_PORTS[app].port));
    });

    it('connects to NATS as its own user, with the password the server has', () => {
      const env = resolvedEnv(objects, PLATFORM, appContainer(app));
      const passwordVariable = natsUsers(readRepoFile('docker/nats/authorization.conf')).get(app)!;
      const natsEnv = environmentFrom(objects, podOf(NATS, 'nats'));
      expect(env['NATS_USER']).toBe(app);
      expect(env['NATS_PASSWORD']).toBe(natsEnv[passwordVariable]);
      const url = new URL(env['NATS_ADDR']!);
      expect(serviceUrlTarget(url)).toEqual({ namespace: NATS, service: 'nats', port: 4222 });
    });

    it('checks NATS and the database for readiness only, never for liveness', () => {
      const pod = podOf(PLATFORM, app);
      const container = appContainer(app);
      const port = APP_PORTS[app].port;
      expect(httpProbe(pod, container.livenessProbe)).toEqual({ path: '/health', port });
      expect(httpProbe(pod, container.readinessProbe)).toEqual({ path: '/health/ready', port });
      expect(httpProbe(pod, container.startupProbe)).toEqual({ path: '/health', port });
    });

    it('writes only to its data folder and /tmp', () => {
      const pod = podOf(PLATFORM, app);
      const env = resolvedEnv(objects, PLATFORM, appContainer(app));
      const mounts = appContainer(app).volumeMounts ?? [];
      const scratch = (path: string) =>
        mounts.some((mount) => mount.mountPath === path && pod.spec.volumes?.find((volume) => volume.name === mount.name)?.emptyDir);
      expect(scratch(env['DATA_DIR']!), `DATA_DIR ${env['DATA_DIR']} is an emptyDir`).toBe(true);
      expect(scratch('/tmp')).toBe(true);
    });

    if (DATABASES[app] && demo) {
      it('uses its own database on the demo PostgreSQL, with the password it was created with', () => {
        const url = new URL(resolvedEnv(objects, PLATFORM, appContainer(app))['DATABASE_URL']!);
        expect(serviceUrlTarget(url)).toEqual({ namespace: PLATFORM, service: 'postgres', port: 5432 });
        const created = initScriptDatabases(readRepoFile('docker/postgres/init-databases.sh')).find((entry) => entry.database === DATABASES[app]);
        expect(url.pathname).toBe(`/${DATABASES[app]}`);
        expect(decodeURIComponent(url.username)).toBe(created!.user);
        expect(decodeURIComponent(url.password)).toBe(environmentFrom(objects, podOf(PLATFORM, 'postgres'))[created!.passwordVariable]);
      });
    }
  });

  it('runs every container unprivileged, on a read-only filesystem, with resource requests and limits', () => {
    for (const pod of allPods) {
      expect(pod.spec.securityContext?.runAsNonRoot, pod.name).toBe(true);
      expect(pod.spec.securityContext?.runAsUser, pod.name).toBeGreaterThan(0);
      for (const container of pod.spec.containers) {
        expect(container.securityContext, `${pod.name}/${container.name}`).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(Object.keys(container.resources?.requests ?? {}).sort(), `${pod.name} requests`).toEqual(['cpu', 'memory']);
        expect(Object.keys(container.resources?.limits ?? {}).sort(), `${pod.name} limits`).toEqual(['cpu', 'memory']);
      }
    }
  });

  it('refers only to ConfigMaps, Secrets and volumes that exist, and probes ports the containers serve', () => {
    for (const pod of allPods) {
      for (const container of pod.spec.containers) {
        expect(Object.entries(resolvedEnv(objects, pod.namespace, container)).filter(([, value]) => value === undefined)).toEqual([]);
        for (const source of container.envFrom ?? []) {
          expect(find(objects, 'Secret', pod.namespace, source.secretRef!.name!), `${pod.name} envFrom`).toBeDefined();
        }
        for (const mount of container.volumeMounts ?? []) {
          const volume = pod.spec.volumes?.find((candidate) => candidate.name === mount.name);
          const claimed = (pod.workload['spec'] as IStatefulSet['spec'])?.volumeClaimTemplates?.some((claim) => claim.metadata?.name === mount.name);
          expect(volume ?? claimed, `${pod.name} mounts ${mount.name}`).toBeTruthy();
          if (volume?.configMap) expect(find(objects, 'ConfigMap', pod.namespace, volume.configMap.name!)).toBeDefined();
        }
        for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe]) {
          if (probe?.httpGet) expect(containerPort(pod, probe.httpGet.port), `${pod.name} probe port`).toBeDefined();
        }
      }
    }
    for (const service of objects.filter((object) => object.kind === 'Service') as unknown as IService[]) {
      const selected = allPods.filter((pod) => pod.namespace === service.metadata!.namespace && matches({ matchLabels: service.spec!.selector }, pod.labels));
      expect(selected.length, `Service ${service.metadata!.name} selects pods`).toBeGreaterThan(0);
      for (const port of service.spec!.ports!) {
        expect(
          selected.every((pod) => containerPort(pod, port.targetPort ?? port.port) !== undefined),
          `${service.metadata!.name}:${port.name}`,
        ).toBe(true);
      }
    }
  });

  it('scales email-service and analytics-service on CPU, and only them', () => {
    const autoscalers = objects.filter((object) => object.kind === 'HorizontalPodAutoscaler') as unknown as IHorizontalPodAutoscaler[];
    expect(autoscalers.map((hpa) => hpa.spec!.scaleTargetRef.name).sort()).toEqual(['analytics-service', 'email-service']);
    for (const hpa of autoscalers) {
      const target = find(objects, hpa.spec!.scaleTargetRef.kind, PLATFORM, hpa.spec!.scaleTargetRef.name)!;
      expect(target).toBeDefined();
      // A replica count in the Deployment would reset the autoscaler's on every apply.
      expect((target['spec'] as { replicas?: number }).replicas).toBeUndefined();
      expect(hpa.spec!.metrics![0].resource?.name).toBe('cpu');
      expect(hpa.spec!.maxReplicas).toBeGreaterThan(hpa.spec!.minReplicas!);
    }
  });

  it('exposes the gateway, and only it, through an Ingress', () => {
    const ingresses = objects.filter((object) => object.kind === 'Ingress') as unknown as IIngress[];
    expect(ingresses).toHaveLength(1);
    const backends = ingresses[0].spec!.rules!.flatMap((rule) => rule.http!.paths.map((path) => path.backend.service!));
    expect(backends.map((backend) => backend.name)).toEqual(['gateway']);
    const service = find(objects, 'Service', PLATFORM, 'gateway') as unknown as IService;
    expect(service.spec!.ports!.some((port) => port.name === backends[0].port!.name || port.port === backends[0].port!.number)).toBe(true);
    const publicUrl = resolvedEnv(objects, PLATFORM, appContainer('user-service'))['PUBLIC_URL']!;
    expect(ingresses[0].spec!.rules!.map((rule) => rule.host)).toEqual([new URL(publicUrl).hostname]);
  });

  describe('network policies', () => {
    const controller: Pod = { workload: {} as K8sObject, namespace: 'ingress-nginx', name: 'ingress-controller', labels: {}, spec: { containers: [] } };

    it('select pods and namespaces that exist', () => {
      const namespaces = [...objects.filter((object) => object.kind === 'Namespace').map((object) => object.metadata.name), ...EXTERNAL_NAMESPACES];
      for (const policy of policies) {
        const inNamespace = allPods.filter((pod) => pod.namespace === policy.metadata!.namespace);
        expect(
          inNamespace.some((pod) => matches(policy.spec!.podSelector, pod.labels)),
          `${policy.metadata!.name} selects a pod`,
        ).toBe(true);
        const peers = [...(policy.spec!.ingress ?? []).flatMap((rule) => rule.from ?? []), ...(policy.spec!.egress ?? []).flatMap((rule) => rule.to ?? [])];
        for (const peer of peers) {
          const namespace = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] ?? (peer.ipBlock ? undefined : policy.metadata!.namespace);
          if (namespace === undefined) continue;
          expect(namespaces, `${policy.metadata!.name} names namespace ${namespace}`).toContain(namespace);
          if (peer.podSelector && !EXTERNAL_NAMESPACES.includes(namespace)) {
            expect(
              allPods.some((pod) => pod.namespace === namespace && matches(peer.podSelector, pod.labels)),
              `${policy.metadata!.name} peer`,
            ).toBe(true);
          }
        }
      }
    });

    it('let the ingress controller reach the gateway and nothing else', () => {
      for (const pod of allPods) {
        for (const port of pod.spec.containers.flatMap((container) => container.ports ?? [])) {
          const expected = pod.name === 'gateway' && port.containerPort === 3000;
          expect(allows(policies, controller, pod, port.containerPort), `ingress controller -> ${pod.name}:${port.containerPort}`).toBe(expected);
        }
      }
    });

    it.each(APPS)('let %s reach NATS and its database (and email-service the SMTP server, and in the demo Jaeger), nothing else', (app) => {
      const from = podOf(PLATFORM, app);
      const reachable = allPods.flatMap((to) =>
        to === from
          ? []
          : to.spec.containers
              .flatMap((container) => container.ports ?? [])
              .filter((port) => allows(policies, from, to, port.containerPort))
              .map((port) => `${to.namespace}/${to.name}:${port.containerPort}`),
      );
      const expected = [`${NATS}/nats:4222`];
      if (demo && DATABASES[app]) expected.push(`${PLATFORM}/postgres:5432`);
      if (demo && app === 'email-service') expected.push(`${PLATFORM}/mailpit:1025`);
      if (demo) expected.push(`${PLATFORM}/jaeger:4318`);
      expect(reachable.sort()).toEqual(expected.sort());
      expect(allowsEgressToNamespace(policies, from, 'kube-system', 53), 'DNS').toBe(true);
      if (!demo) {
        const externalDatabase = /cidr: (\S+)\n\s+ports:\n\s+- port: 5432/.exec(readRepoFile('k8s/overlays/production/network-policies.yaml'))![1];
        expect(allowsEgressToCidr(policies, from, externalDatabase, 5432), 'the external database').toBe(!!DATABASES[app]);
      }
    });

    it('let the NATS members talk to each other', () => {
      const nats = podOf(NATS, 'nats');
      expect(allows(policies, nats, nats, 6222)).toBe(true);
      expect(allowsEgressToNamespace(policies, nats, 'kube-system', 53)).toBe(true);
      expect(allows(policies, controller, nats, 4222)).toBe(false);
    });
  });

  it('commits no real secret: every committed value is a placeholder', () => {
    for (const secret of objects.filter((object) => object.kind === 'Secret')) {
      for (const key of Object.keys({ ...(secret['data'] as object), ...(secret['stringData'] as object) })) {
        const value = secretValue(secret, key)!;
        const isPlaceholder = /change-me/.test(value) || /^smtp:\/\/mailpit\./.test(value);
        expect(isPlaceholder, `${describeObject(secret)} ${key}`).toBe(true);
      }
    }
  });

  if (demo) {
    it('runs the demo PostgreSQL with the init script compose uses, and Mailpit for the emails', () => {
      const init = find(objects, 'ConfigMap', PLATFORM, 'postgres-init')!['data'] as Record<string, string>;
      expect(init['init-databases.sh'], 'k8s/demo/init-databases.sh must be a copy of docker/postgres/init-databases.sh').toBe(
        readRepoFile('docker/postgres/init-databases.sh'),
      );
      const postgresEnv = environmentFrom(objects, podOf(PLATFORM, 'postgres'));
      for (const { passwordVariable } of initScriptDatabases(init['init-databases.sh'])) expect(postgresEnv[passwordVariable], passwordVariable).toBeTruthy();
      const smtp = new URL(resolvedEnv(objects, PLATFORM, appContainer('email-service'))['SMTP_URL']!);
      expect(serviceUrlTarget(smtp)).toEqual({ namespace: PLATFORM, service: 'mailpit', port: 1025 });
    });
  } else {
    it('generates its Secrets from files git ignores, and brings no demo database or mail server', () => {
      expect(readRepoFile('k8s/overlays/production/.gitignore')).toMatch(/^\*\.env$/m);
      expect(find(objects, 'StatefulSet', PLATFORM, 'postgres')).toBeUndefined();
      expect(find(objects, 'Deployment', PLATFORM, 'mailpit')).toBeUndefined();
    });
  }

  /** A Service URL `<service>.<namespace>.svc.cluster.local:<port>`: the Service, if it exists with that port. */
  function serviceUrlTarget(url: URL): { namespace: string; service: string; port: number } | undefined {
    const [service, namespace] = url.hostname.split('.');
    const found = find(objects, 'Service', namespace, service) as unknown as IService | undefined;
    const port = Number(url.port);
    if (!url.hostname.endsWith('.svc.cluster.local') || !found?.spec?.ports?.some((candidate) => candidate.port === port)) return undefined;
    return { namespace, service, port };
  }
});

/** The environment a pod's first container gets from its Secrets (`envFrom`) and `env`. */
function environmentFrom(objects: K8sObject[], pod: Pod): Record<string, string | undefined> {
  const container = pod.spec.containers[0];
  const fromSecrets = (container.envFrom ?? []).map((source) => {
    const secret = find(objects, 'Secret', pod.namespace, source.secretRef!.name!);
    const keys = Object.keys({ ...(secret?.['data'] as object), ...(secret?.['stringData'] as object) });
    return Object.fromEntries(keys.map((key) => [key, secretValue(secret!, key)]));
  });
  return Object.assign({}, ...fromSecrets, resolvedEnv(objects, pod.namespace, container));
}

function httpProbe(pod: Pod, probe: IProbe | undefined): { path: string; port: number | undefined } | undefined {
  return probe?.httpGet && { path: probe.httpGet.path!, port: containerPort(pod, probe.httpGet.port) };
}
