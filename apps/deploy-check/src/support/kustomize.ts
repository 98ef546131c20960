import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as YAML gives it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

interface Generator {
  name: string;
  namespace?: string;
  files?: string[];
  literals?: string[];
  envs?: string[];
}

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  resources?: string[];
  components?: string[];
  namespace?: string;
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
  patches?: Array<{ path: string }>;
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
  generatorOptions?: { disableNameSuffixHash?: boolean };
}

export interface RenderOptions {
  /** Read `<file>.example` for a generator's env file that is missing (the production secrets git ignores). */
  exampleSecrets?: boolean;
}

// The kustomize features the manifests use, and so the only ones this renderer implements: anything
// else in a kustomization.yaml fails the render instead of being silently ignored.
const SUPPORTED = new Set([
  'apiVersion',
  'kind',
  'resources',
  'components',
  'namespace',
  'images',
  'patches',
  'configMapGenerator',
  'secretGenerator',
  'generatorOptions',
]);
const CLUSTER_SCOPED = new Set(['Namespace']);

/** Renders `dir/kustomization.yaml` as `kubectl apply -k dir` would build it (for the supported features). */
export function renderKustomization(dir: string, options: RenderOptions = {}): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  const kustomization = readYaml(file)[0] as unknown as Kustomization;
  const unsupported = Object.keys(kustomization).filter((key) => !SUPPORTED.has(key));
  if (unsupported.length > 0) throw new Error(`${file}: the test's renderer does not support ${unsupported.join(', ')}`);

  let objects: K8sObject[] = [];
  for (const entry of kustomization.resources ?? []) {
    const path = resolve(dir, entry);
    objects.push(...(statSync(path).isDirectory() ? renderKustomization(path, options) : readYaml(path)));
  }
  for (const entry of kustomization.components ?? []) objects.push(...renderComponent(resolve(dir, entry), options));
  objects.push(...generate(dir, kustomization, options));
  for (const patch of kustomization.patches ?? []) {
    for (const document of readYaml(resolve(dir, patch.path))) {
      const targets = objects.filter((object) => sameTarget(object, document));
      if (targets.length !== 1) throw new Error(`${patch.path}: patch ${describe(document)} matches ${targets.length} objects`);
      objects[objects.indexOf(targets[0])] = strategicMerge(targets[0], document) as K8sObject;
    }
  }
  if (kustomization.namespace) {
    const namespace = kustomization.namespace;
    objects = objects.map((object) => (CLUSTER_SCOPED.has(object.kind) ? object : { ...object, metadata: { ...object.metadata, namespace } }));
  }
  for (const image of kustomization.images ?? []) objects = objects.map((object) => withImage(object, image));
  return objects;
}

/** A kustomize Component adds its resources to the kustomization that lists it (its patches would apply to all: not supported). */
function renderComponent(dir: string, options: RenderOptions): K8sObject[] {
  const component = readYaml(join(dir, 'kustomization.yaml'))[0] as unknown as Kustomization;
  if (component.kind !== 'Component') throw new Error(`${dir}: a component must be kind Component`);
  if (component.patches?.length) throw new Error(`${dir}: the test's renderer does not support a component's patches`);
  return renderKustomization(dir, options);
}

export function describe(object: Pick<K8sObject, 'kind' | 'metadata'>): string {
  return `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
}

/** A Secret's value, from `stringData` or base64 `data`. */
export function secretValue(secret: K8sObject, key: string): string | undefined {
  const stringData = secret['stringData'] as Record<string, string> | undefined;
  const data = secret['data'] as Record<string, string> | undefined;
  if (stringData?.[key] !== undefined) return stringData[key];
  return data?.[key] === undefined ? undefined : Buffer.from(data[key], 'base64').toString('utf8');
}

/** Kubernetes reads YAML 1.1 (`0555` is octal, `yes` a boolean); so does this. */
function readYaml(path: string): K8sObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8'), { version: '1.1' })
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0].message}`);
      return document.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null);
}

function generate(dir: string, kustomization: Kustomization, options: RenderOptions): K8sObject[] {
  const generators = [
    ...(kustomization.configMapGenerator ?? []).map((generator) => ({ generator, kind: 'ConfigMap' })),
    ...(kustomization.secretGenerator ?? []).map((generator) => ({ generator, kind: 'Secret' })),
  ];
  if (generators.length > 0 && !kustomization.generatorOptions?.disableNameSuffixHash) {
    // With a hash suffix kustomize renames the object and rewrites every reference to it; not implemented here.
    throw new Error(`${dir}: generators need generatorOptions.disableNameSuffixHash for the test's renderer`);
  }
  return generators.map(({ generator, kind }) => {
    const values: Record<string, string> = {};
    for (const entry of generator.files ?? []) {
      const [key, path] = entry.includes('=') ? entry.split('=', 2) : [basename(entry), entry];
      values[key] = readFileSync(resolve(dir, path), 'utf8');
    }
    for (const literal of generator.literals ?? []) {
      const [key, ...value] = literal.split('=');
      values[key] = value.join('=');
    }
    for (const env of generator.envs ?? []) Object.assign(values, readEnvFile(resolve(dir, env), options));
    const metadata = { name: generator.name, ...(generator.namespace ? { namespace: generator.namespace } : {}) };
    return kind === 'ConfigMap'
      ? { apiVersion: 'v1', kind, metadata, data: values }
      : {
          apiVersion: 'v1',
          kind,
          metadata,
          type: 'Opaque',
          data: Object.fromEntries(Object.entries(values).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
        };
  });
}

function readEnvFile(path: string, options: RenderOptions): Record<string, string> {
  const file = !existsSync(path) && options.exampleSecrets ? `${path}.example` : path;
  const values: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const [key, ...value] = line.split('=');
    values[key.trim()] = value.join('=');
  }
  return values;
}

function sameTarget(object: K8sObject, patch: K8sObject): boolean {
  return (
    object.kind === patch.kind &&
    object.metadata.name === patch.metadata.name &&
    (patch.metadata.namespace === undefined || object.metadata.namespace === patch.metadata.namespace)
  );
}

/**
 * Kustomize's strategic merge, for the patches this repository writes: maps merge key by key, lists of
 * named items (containers, env, ports, volumes) merge by name, any other list is replaced.
 */
function strategicMerge(target: unknown, patch: unknown): unknown {
  if (isMap(target) && isMap(patch)) {
    const merged: Record<string, unknown> = { ...target };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete merged[key];
      else merged[key] = key in target ? strategicMerge(target[key], value) : value;
    }
    return merged;
  }
  if (Array.isArray(target) && Array.isArray(patch) && [...target, ...patch].every((item) => isMap(item) && typeof item['name'] === 'string')) {
    const merged = [...target] as Array<Record<string, unknown>>;
    for (const item of patch as Array<Record<string, unknown>>) {
      const index = merged.findIndex((existing) => existing['name'] === item['name']);
      if (index === -1) merged.push(item);
      else merged[index] = strategicMerge(merged[index], item) as Record<string, unknown>;
    }
    return merged;
  }
  return patch;
}

function withImage(object: K8sObject, image: NonNullable<Kustomization['images']>[number]): K8sObject {
  const podSpec = (object['spec'] as { template?: { spec?: { containers?: Array<{ image: string }> } } } | undefined)?.template?.spec;
  if (!podSpec?.containers) return object;
  const containers = podSpec.containers.map((container) => {
    const [name, tag] = splitImage(container.image);
    if (name !== image.name) return container;
    return { ...container, image: `${image.newName ?? name}:${image.newTag ?? tag}` };
  });
  return strategicMerge(object, { spec: { template: { spec: { containers } } } }) as K8sObject;
}

function splitImage(image: string): [string, string] {
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? [image.slice(0, colon), image.slice(colon + 1)] : [image, 'latest'];
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
