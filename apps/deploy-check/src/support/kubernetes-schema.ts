import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { K8sObject } from './kustomize';

/** The kinds the manifests may use, with the Kubernetes JSON schema (from kubernetes-models) of each. */
const MODELS: Record<string, { prototype: { validate(): void } }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/**
 * What is wrong with an object against its kind's schema, and the fields the schema does not know
 * (kubernetes-models ignores those, the API server rejects or drops them: a typo like `readinessprobe`
 * would silently remove a probe). Unknown fields are found by watching which fields the schema's
 * validator reads: it reads every field it knows.
 */
export function schemaProblems(object: K8sObject): string[] {
  const model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!model) return [`${object.apiVersion} ${object.kind} is not a kind these manifests are checked for`];
  const reads = new Map<object, Set<string>>();
  try {
    model.prototype.validate.call(watched(object, reads));
  } catch (error) {
    return [(error as Error).message];
  }
  return unknownFields(object, reads, '');
}

function watched<T>(value: T, reads: Map<object, Set<string>>): T {
  if (typeof value !== 'object' || value === null) return value;
  const read = reads.get(value) ?? new Set<string>();
  reads.set(value, read);
  return new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key === 'string') read.add(key);
      return watched(Reflect.get(target, key, receiver), reads);
    },
  });
}

function unknownFields(value: unknown, reads: Map<object, Set<string>>, path: string): string[] {
  if (typeof value !== 'object' || value === null) return [];
  const read = reads.get(value) ?? new Set<string>();
  return Object.entries(value).flatMap(([key, child]) => {
    const childPath = `${path}/${key}`;
    if (!Array.isArray(value) && !read.has(key)) return [`unknown field ${childPath}`];
    return unknownFields(child, reads, childPath);
  });
}
