/** A small custom multi-model runtime, as a user writes one, for the controller suites. */
import type { KubernetesObject } from "@kubernetes/client-node";

/** Serves model type `ml-type1` on one container; the puller is injected (no built-in adapter). */
export function customRuntime(
  kind: "ServingRuntime" | "ClusterServingRuntime",
  name: string,
  namespace: string | undefined,
  overrides: { spec?: Record<string, unknown>; annotations?: Record<string, string> } = {},
): KubernetesObject & { spec: Record<string, unknown> } {
  return {
    apiVersion: "serving.kserve.io/v1alpha1",
    kind,
    metadata: {
      name,
      ...(namespace === undefined ? {} : { namespace }),
      ...(overrides.annotations ? { annotations: overrides.annotations } : {}),
    },
    spec: {
      supportedModelFormats: [{ name: "ml-type1", version: "1", autoSelect: true }],
      multiModel: true,
      grpcDataEndpoint: "port:8001",
      grpcEndpoint: "port:8001",
      containers: [
        {
          name: "custom-runtime",
          image: "example.org/models/custom-runtime:6.0",
          resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } },
        },
      ],
      ...overrides.spec,
    },
  };
}
