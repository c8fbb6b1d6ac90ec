/**
 * Every object the controller would create for a set of runtimes in one namespace, without a cluster: the
 * Service, `tc-config`, one Deployment per enabled multi-model runtime and, for `autoscalerClass: hpa`, its HPA.
 * Replicas are the scaled-up count (scale-to-zero depends on models this command does not see).
 */

import type { KubernetesObject } from "@kubernetes/client-node";
import { AUTOSCALER_CLASS_EXTERNAL, AUTOSCALER_CLASS_HPA } from "../apis/serving/annotations.js";
import { KIND_SERVING_RUNTIME } from "../apis/serving/group.js";
import type { ServingRuntimeSpec } from "../apis/serving/v1alpha1/serving-runtime.js";
import { buildRuntimeDeployment, type RuntimeInput } from "../builders/deployment.js";
import { autoscalerClass, buildRuntimeHpa, hpaSettings } from "../builders/hpa.js";
import { controllerReference } from "../builders/owner-reference.js";
import { scaledUpReplicas } from "../builders/replicas.js";
import { validateRuntimeSpec } from "../builders/runtime-validator.js";
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

function runtimeNamespace(document: RuntimeDocument, options: RenderOptions): string {
  return document.kind === KIND_SERVING_RUNTIME
    ? (document.runtime.metadata.namespace ?? options.namespace)
    : options.namespace;
}

/** The runtimes of each namespace by name; a ServingRuntime hides a ClusterServingRuntime of the same name. */
function runtimesByNamespace(documents: readonly RuntimeDocument[], options: RenderOptions) {
  const namespaces = new Map<string, Map<string, RuntimeDocument>>();
  const clusterFirst = [...documents].sort(
    (a, b) => Number(a.kind === KIND_SERVING_RUNTIME) - Number(b.kind === KIND_SERVING_RUNTIME),
  );
  for (const document of clusterFirst) {
    const namespace = runtimeNamespace(document, options);
    const runtimes = namespaces.get(namespace) ?? new Map<string, RuntimeDocument>();
    namespaces.set(namespace, runtimes);
    runtimes.set(document.runtime.metadata.name ?? "", document);
  }
  return namespaces;
}

function replicasFor(document: RuntimeDocument, config: ServingConfig): number | undefined {
  const annotations = document.runtime.metadata.annotations;
  const autoscaler = autoscalerClass(annotations);
  if (autoscaler === AUTOSCALER_CLASS_EXTERNAL) return undefined;
  if (autoscaler === AUTOSCALER_CLASS_HPA) return hpaSettings(annotations).minReplicas;
  return scaledUpReplicas(document.runtime.spec, config);
}

export function renderObjects(
  documents: readonly RuntimeDocument[],
  options: RenderOptions,
): Result<KubernetesObject[]> {
  const { config } = options;
  const objects: KubernetesObject[] = [];
  const namespaces = runtimesByNamespace(documents, options);
  for (const namespace of [...namespaces.keys()].sort()) {
    const runtimes = namespaces.get(namespace) ?? new Map<string, RuntimeDocument>();
    const owner = controllerReference({ apiVersion: "v1", kind: "Namespace", name: namespace, uid: "" });
    objects.push(buildModelMeshService(namespace, config, owner));
    const specs = new Map<string, ServingRuntimeSpec>(
      [...runtimes].map(([name, document]) => [name, document.runtime.spec]),
    );
    objects.push(buildTypeConstraintsConfigMap(namespace, specs, config.restProxy.enabled));
    for (const name of [...runtimes.keys()].sort()) {
      const document = runtimes.get(name);
      if (document === undefined) continue;
      const { spec, metadata } = document.runtime;
      if (spec.multiModel !== true || spec.disabled === true) continue;
      const described = `${document.kind} ${name} (${document.source})`;
      const check = validateRuntimeSpec(document.runtime, config.builtInServerTypes);
      if (!check.ok) return fail(`${described}: Invalid runtime Spec: ${check.error}`);
      const input: RuntimeInput = {
        name,
        namespace,
        kind: document.kind,
        uid: metadata.uid ?? "",
        spec,
        metadata,
      };
      const deployment = buildRuntimeDeployment(input, {
        config,
        replicas: replicasFor(document, config),
        pvcNames: [],
        etcdSecretName: options.etcdSecretName,
        tlsSecretHasCaCrt: false,
      });
      if (!deployment.ok) return fail(`${described}: ${deployment.error}`);
      objects.push(deployment.value);
      if (autoscalerClass(metadata.annotations) === AUTOSCALER_CLASS_HPA)
        objects.push(buildRuntimeHpa(input, config));
    }
  }
  return ok(objects);
}
