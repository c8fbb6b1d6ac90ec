/**
 * Every object the controller would create for a set of runtimes in one namespace, without a cluster: the
 * Service, `tc-config`, one Deployment per enabled multi-model runtime and, for `autoscalerClass: hpa`, its HPA.
 * The runtimes go through the controller's own rendering policy (`planRuntime`) with what `render` knows: the
 * namespace is served, no Deployment exists yet and no models are seen, so replicas are the scaled-up count.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { KIND_SERVING_RUNTIME } from "../apis/serving/group.js";
import type { ServingRuntime } from "../apis/serving/v1alpha1/serving-runtime.js";
import { effectiveRuntimes, runtimeSpecs } from "../builders/effective-runtimes.js";
import { controllerReference } from "../builders/owner-reference.js";
import { type PlanFacts, planRuntime, runtimeDeployment } from "../builders/runtime-objects.js";
import { buildModelMeshService } from "../builders/service.js";
import { buildTypeConstraintsConfigMap } from "../builders/type-constraints.js";
import type { ServingConfig } from "../config/serving-config.js";
import { fail, ok, type Result } from "../lib/result.js";
import type { RuntimeDocument } from "./runtime-documents.js";

export interface RenderOptions {
  config: ServingConfig;
  /** Namespace of ClusterServingRuntimes and of ServingRuntimes that name none. */
  namespace: string;
  etcdSecretName: string;
}

/** What `render` knows of every runtime: a served namespace, no live Deployment, no models. */
const RENDER_FACTS: PlanFacts = { served: true, usage: undefined, liveReplicas: undefined };

function runtimeNamespace(document: RuntimeDocument, options: RenderOptions): string {
  return document.kind === KIND_SERVING_RUNTIME
    ? (document.runtime.metadata.namespace ?? options.namespace)
    : options.namespace;
}

function objectsOfNamespace(
  namespace: string,
  documents: readonly RuntimeDocument[],
  options: RenderOptions,
): Result<KubernetesObject[]> {
  const { config } = options;
  const ofKind = (cluster: boolean) =>
    documents.filter((document) => (document.kind !== KIND_SERVING_RUNTIME) === cluster);
  const sources = new Map<ServingRuntime, RuntimeDocument>(documents.map((d) => [d.runtime, d]));
  const runtimes = effectiveRuntimes(
    ofKind(true).map((d) => d.runtime),
    ofKind(false).map((d) => d.runtime),
  );
  const owner = controllerReference({ apiVersion: "v1", kind: "Namespace", name: namespace, uid: "" });
  const objects: KubernetesObject[] = [
    buildModelMeshService(namespace, config, owner),
    buildTypeConstraintsConfigMap(namespace, runtimeSpecs(runtimes), config.restProxy.enabled),
  ];
  for (const name of [...runtimes.keys()].sort()) {
    const runtime = runtimes.get(name);
    const document = runtime && sources.get(runtime.object as ServingRuntime);
    if (runtime === undefined || document === undefined) continue;
    // Disabled runtimes are left out before validation: `render` shows what would run, not what is wrong.
    if (document.runtime.spec.disabled === true) continue;
    const described = `${document.kind} ${name} (${document.source})`;
    const plan = planRuntime(runtime, namespace, config, RENDER_FACTS);
    if (plan.kind === "invalid") return fail(`${described}: ${plan.message}`);
    if (plan.kind === "absent") continue;
    const deployment = runtimeDeployment(plan, config, {
      pvcNames: [],
      etcdSecretName: options.etcdSecretName,
      tlsSecretHasCaCrt: false,
    });
    if (!deployment.ok) return fail(`${described}: ${deployment.error}`);
    objects.push(deployment.value);
    if (plan.hpa.action === "apply") objects.push(plan.hpa.object);
  }
  return ok(objects);
}

export function renderObjects(
  documents: readonly RuntimeDocument[],
  options: RenderOptions,
): Result<KubernetesObject[]> {
  const byNamespace = new Map<string, RuntimeDocument[]>();
  for (const document of documents) {
    const namespace = runtimeNamespace(document, options);
    byNamespace.set(namespace, [...(byNamespace.get(namespace) ?? []), document]);
  }
  const objects: KubernetesObject[] = [];
  for (const namespace of [...byNamespace.keys()].sort()) {
    const rendered = objectsOfNamespace(namespace, byNamespace.get(namespace) ?? [], options);
    if (!rendered.ok) return rendered;
    objects.push(...rendered.value);
  }
  return ok(objects);
}
