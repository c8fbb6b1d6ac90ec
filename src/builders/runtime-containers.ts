/**
 * The runtime's own (model server) containers, passed through with the mounts and hooks ModelMesh needs
 * (upstream's `controllers/modelmesh/runtime.go addRuntimeToDeployment`).
 */
import type { V1Container } from "@kubernetes/client-node";
import { PATHS, PORTS } from "./constants.js";
import { modelsDirMount, pvcMounts, socketMount } from "./volumes.js";

export interface RuntimeContainerInputs {
  pvcNames: readonly string[];
  socketDirectory: string | undefined;
}

/**
 * Model-mesh's `/prestop` blocks until the models are unloaded, so the model server outlives it on shutdown.
 */
export function preStopHook(): V1Container["lifecycle"] {
  return { preStop: { httpGet: { path: PATHS.preStopPath, port: PORTS.preStop } } };
}

export function dropAllCapabilities(): V1Container["securityContext"] {
  return { capabilities: { drop: ["ALL"] } };
}

export function buildRuntimeContainer(container: V1Container, inputs: RuntimeContainerInputs): V1Container {
  const result: V1Container = structuredClone(container);
  result.securityContext ??= dropAllCapabilities();
  result.lifecycle = preStopHook();
  // The API server's default, spelled out: it is part of each port's key in the applied field set (decision 0170).
  if (result.ports !== undefined)
    result.ports = result.ports.map((port) => ({ ...port, protocol: port.protocol ?? "TCP" }));
  // Each container gets its own list (upstream's `addRuntimeToDeployment` appended to one shared slice, so containers could share entries; decision 0032).
  result.volumeMounts = [
    modelsDirMount(),
    ...pvcMounts(inputs.pvcNames),
    ...structuredClone(container.volumeMounts ?? []),
  ];
  if (inputs.socketDirectory !== undefined) result.volumeMounts.push(socketMount(inputs.socketDirectory));
  return result;
}

/** The runtime containers in spec order; a repeated name replaces the earlier container in its place. */
export function buildRuntimeContainers(
  containers: readonly V1Container[],
  inputs: RuntimeContainerInputs,
): V1Container[] {
  const result: V1Container[] = [];
  for (const container of containers) {
    const built = buildRuntimeContainer(container, inputs);
    const index = result.findIndex((existing) => existing.name === container.name);
    if (index >= 0) result[index] = built;
    else result.push(built);
  }
  return result;
}
