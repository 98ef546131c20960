import type { IContainer, IPodSpec, IPodTemplateSpec } from 'kubernetes-models/v1';
import type { INetworkPolicy, INetworkPolicyPeer, INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1';
import { secretValue, type K8sObject } from './kustomize';

type ILabelSelector = NonNullable<INetworkPolicy['spec']>['podSelector'];

/** A pod as a Deployment or StatefulSet runs it. */
export interface Pod {
  workload: K8sObject;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  spec: IPodSpec;
}

export function find(objects: K8sObject[], kind: string, namespace: string, name: string): K8sObject | undefined {
  return objects.find((object) => object.kind === kind && object.metadata.namespace === namespace && object.metadata.name === name);
}

export function pods(objects: K8sObject[]): Pod[] {
  return objects
    .filter((object) => object.kind === 'Deployment' || object.kind === 'StatefulSet')
    .map((workload) => {
      const template = (workload['spec'] as { template: IPodTemplateSpec }).template;
      return {
        workload,
        namespace: workload.metadata.namespace!,
        name: workload.metadata.name,
        labels: (template.metadata?.labels ?? {}) as Record<string, string>,
        spec: template.spec!,
      };
    });
}

export function matches(selector: ILabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpressions = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    if (operator === 'In') return values.includes(labels[key]);
    if (operator === 'NotIn') return !values.includes(labels[key]);
    if (operator === 'Exists') return key in labels;
    return !(key in labels);
  });
  return byLabels && byExpressions;
}

/** The port a container serves under `port` (a number or a port name), if it does. */
export function containerPort(pod: Pod, port: number | string): number | undefined {
  for (const container of pod.spec.containers) {
    for (const declared of container.ports ?? []) {
      if (declared.containerPort === port || declared.name === port) return declared.containerPort;
    }
  }
  return undefined;
}

/** A container's environment with the ConfigMap and Secret references resolved; undefined where one is missing. */
export function resolvedEnv(objects: K8sObject[], namespace: string, container: IContainer): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const { name, value, valueFrom } of container.env ?? []) {
    if (value !== undefined) env[name] = value;
    else if (valueFrom?.configMapKeyRef) {
      const configMap = find(objects, 'ConfigMap', namespace, valueFrom.configMapKeyRef.name!);
      env[name] = (configMap?.['data'] as Record<string, string> | undefined)?.[valueFrom.configMapKeyRef.key];
    } else if (valueFrom?.secretKeyRef) {
      const secret = find(objects, 'Secret', namespace, valueFrom.secretKeyRef.name!);
      env[name] = secret && secretValue(secret, valueFrom.secretKeyRef.key);
    } else env[name] = valueFrom?.fieldRef ? `<${valueFrom.fieldRef.fieldPath}>` : undefined;
  }
  return env;
}

/** Namespaces outside the manifests that policies may name: the cluster's DNS, the ingress controller, Prometheus and the OTLP collector. */
export const EXTERNAL_NAMESPACES = ['kube-system', 'ingress-nginx', 'monitoring', 'observability'];

/**
 * Whether the network policies let `from` open a connection to `to` on `port`: an egress rule of a
 * policy selecting `from`, and an ingress rule of a policy selecting `to` must both allow it (or no
 * policy of that direction select the pod).
 */
export function allows(policies: INetworkPolicy[], from: Pod, to: Pod, port: number): boolean {
  return (
    allowedBy(policies, 'Egress', from, (peer) => peerSelects(peer, from.namespace, to, namespaceLabels(to.namespace)), port) &&
    allowedBy(policies, 'Ingress', to, (peer) => peerSelects(peer, to.namespace, from, namespaceLabels(from.namespace)), port)
  );
}

/** Whether `from` may reach pods of a namespace the manifests do not contain (DNS in kube-system, say). */
export function allowsEgressToNamespace(policies: INetworkPolicy[], from: Pod, namespace: string, port: number): boolean {
  return allowedBy(policies, 'Egress', from, (peer) => !!peer.namespaceSelector && matches(peer.namespaceSelector, namespaceLabels(namespace)), port);
}

export function allowsEgressToCidr(policies: INetworkPolicy[], from: Pod, cidr: string, port: number): boolean {
  return allowedBy(policies, 'Egress', from, (peer) => peer.ipBlock?.cidr === cidr, port);
}

function allowedBy(
  policies: INetworkPolicy[],
  direction: 'Ingress' | 'Egress',
  pod: Pod,
  peerMatches: (peer: INetworkPolicyPeer) => boolean,
  port: number,
): boolean {
  const selecting = policies.filter(
    (policy) => policy.metadata?.namespace === pod.namespace && matches(policy.spec?.podSelector, pod.labels) && policy.spec?.policyTypes?.includes(direction),
  );
  if (selecting.length === 0) return true;
  return selecting.some((policy) => {
    const rules = (direction === 'Ingress' ? policy.spec?.ingress : policy.spec?.egress) ?? [];
    return rules.some((rule) => {
      const peers = ('from' in rule ? rule.from : (rule as { to?: INetworkPolicyPeer[] }).to) ?? [];
      const peerOk = peers.length === 0 || peers.some(peerMatches);
      return peerOk && portMatches(rule.ports, port);
    });
  });
}

function peerSelects(peer: INetworkPolicyPeer, policyNamespace: string, pod: Pod, podNamespaceLabels: Record<string, string>): boolean {
  if (peer.ipBlock) return false;
  const inNamespace = peer.namespaceSelector ? matches(peer.namespaceSelector, podNamespaceLabels) : pod.namespace === policyNamespace;
  return inNamespace && matches(peer.podSelector, pod.labels);
}

function portMatches(ports: INetworkPolicyPort[] | undefined, port: number): boolean {
  return !ports || ports.length === 0 || ports.some((allowed) => allowed.port === undefined || allowed.port === port);
}

// Kubernetes labels every namespace with its name.
function namespaceLabels(namespace: string): Record<string, string> {
  return { 'kubernetes.io/metadata.name': namespace };
}
