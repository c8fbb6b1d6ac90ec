/**
 * zod schemas for the Kubernetes-defined parts of our kinds (containers, volumes, metadata), marked for CRD
 * generation.
 */
import type {
  V1Affinity,
  V1Container,
  V1EnvVar,
  V1LocalObjectReference,
  V1ObjectMeta,
  V1PodResourceClaim,
  V1Toleration,
  V1Volume,
} from "@kubernetes/client-node";
import { z } from "zod";
import { isRecord } from "../lib/is-record.js";

/**
 * Metadata key on a zod schema naming the Kubernetes OpenAPI definition (for example
 * `io.k8s.api.core.v1.Container`) that CRD generation inlines in its place.
 */
export const KUBERNETES_DEFINITION_KEY = "x-kubernetes-definition";

/** Metadata key marking the object metadata node, which CRDs describe as a bare `type: object`. */
export const OBJECT_METADATA_KEY = "x-object-metadata";

/**
 * A Kubernetes-defined shape. The API server validates it in full against the schema the CRD inlines
 * from Kubernetes' own OpenAPI, so at runtime only the outline is checked here.
 */
function kubernetesShape<T>(definition: string, check: (value: Record<string, unknown>) => boolean) {
  const shortName = definition.slice(definition.lastIndexOf(".") + 1);
  return z
    .custom<T>((value) => isRecord(value) && check(value), { message: `expected a Kubernetes ${shortName}` })
    .meta({ [KUBERNETES_DEFINITION_KEY]: definition });
}

const hasName = (value: Record<string, unknown>) => typeof value.name === "string";
const anything = () => true;

export const ContainerSchema = kubernetesShape<V1Container>("io.k8s.api.core.v1.Container", hasName);
export const VolumeSchema = kubernetesShape<V1Volume>("io.k8s.api.core.v1.Volume", hasName);
export const AffinitySchema = kubernetesShape<V1Affinity>("io.k8s.api.core.v1.Affinity", anything);
export const TolerationSchema = kubernetesShape<V1Toleration>("io.k8s.api.core.v1.Toleration", anything);
export const EnvVarSchema = kubernetesShape<V1EnvVar>("io.k8s.api.core.v1.EnvVar", hasName);
export const LocalObjectReferenceSchema = kubernetesShape<V1LocalObjectReference>(
  "io.k8s.api.core.v1.LocalObjectReference",
  anything,
);

export const PodResourceClaimSchema = kubernetesShape<V1PodResourceClaim>(
  "io.k8s.api.core.v1.PodResourceClaim",
  hasName,
);

export const ObjectMetaSchema = z
  .custom<V1ObjectMeta>((value) => isRecord(value), { message: "expected object metadata" })
  .meta({ [OBJECT_METADATA_KEY]: true });

/**
 * The Kubernetes definitions the CRDs embed; the OpenAPI fetch script collects these and their references.
 */
export const EMBEDDED_KUBERNETES_DEFINITIONS = [
  "io.k8s.api.core.v1.Container",
  "io.k8s.api.core.v1.Volume",
  "io.k8s.api.core.v1.Affinity",
  "io.k8s.api.core.v1.Toleration",
  "io.k8s.api.core.v1.EnvVar",
  "io.k8s.api.core.v1.LocalObjectReference",
  "io.k8s.api.core.v1.PodResourceClaim",
] as const;

/** Kubernetes map of string to string (labels, annotations, node selectors). */
export const StringMapSchema = z.record(z.string(), z.string());
