/**
 * The standalone storage helper ("puller"): fetches models for runtimes without a built-in adapter
 * (upstream's `controllers/modelmesh/puller.go addPullerSidecar`).
 */
import type { V1Container, V1VolumeMount } from "@kubernetes/client-node";
import type { ServingRuntimeSpec } from "../apis/serving/v1alpha1/serving-runtime.js";
import { imageReference, type ServingConfig } from "../config/serving-config.js";
import { fail, ok, type Result } from "../lib/result.js";
import { CONTAINERS, ENV, PATHS, PORT_NAMES, PORTS } from "./constants.js";
import type { RuntimeEndpoints } from "./endpoints.js";
import { envVar } from "./env.js";
import { containerResources } from "./resources.js";
import { modelsDirMount, pvcMounts, socketMount, storageConfigMount } from "./volumes.js";

/** The puller is used unless the runtime has a built-in adapter or disables the storage helper. */
export function usesPuller(spec: Pick<ServingRuntimeSpec, "builtInAdapter" | "storageHelper">): boolean {
  return spec.builtInAdapter === undefined && spec.storageHelper?.disabled !== true;
}

export function buildPullerContainer(
  spec: ServingRuntimeSpec,
  endpoints: RuntimeEndpoints,
  config: ServingConfig,
  pvcNames: readonly string[],
): Result<V1Container> {
  const management = endpoints.management;
  if (spec.grpcEndpoint === undefined || management === undefined) {
    return fail(
      'spec.grpcEndpoint ("port:<number>" or "unix:<path>") is required: the puller forwards model loads to it',
    );
  }
  const volumeMounts: V1VolumeMount[] = [modelsDirMount(), storageConfigMount()];
  if (management.kind === "unix") volumeMounts.push(socketMount(management.directory));
  volumeMounts.push(...pvcMounts(pvcNames));
  return ok({
    name: CONTAINERS.puller,
    image: imageReference(config.storageHelperImage),
    command: [...config.storageHelperImage.command],
    env: [
      envVar(ENV.pullerPort, PORTS.puller),
      envVar(ENV.modelServerEndpoint, spec.grpcEndpoint),
      envVar(ENV.rootModelDir, PATHS.modelsDir),
      envVar(ENV.storageConfigDir, PATHS.storageConfigDir),
      envVar(ENV.pvcMountsDir, PATHS.pvcMountsDir),
    ],
    ports: [{ name: PORT_NAMES.grpc, containerPort: PORTS.puller, protocol: "TCP" }],
    resources: containerResources(config.storageHelperResources),
    volumeMounts,
  });
}
