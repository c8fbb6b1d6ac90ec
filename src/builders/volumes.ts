/**
 * Pod volumes of a runtime Deployment and the mounts that use them (upstream's
 * `controllers/modelmesh/runtime.go addVolumesToDeployment`, `calculateModelDirSize`).
 */
import type { V1Container, V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import type { ServingRuntimeSpec } from "../apis/serving/v1alpha1/serving-runtime.js";
import { formatBinaryQuantity, parseQuantity } from "../config/quantity.js";
import { fail, ok, type Result } from "../lib/result.js";
import { OBJECTS, PATHS, VOLUMES } from "./constants.js";

/**
 * `models-dir` holds the models the runtime loads, so it may grow to 1.5 × the runtime containers' memory
 * limits. Without any memory limit there is no bound (upstream wrote `sizeLimit: 0`, which means the same).
 */
export function modelsDirSizeLimit(containers: readonly V1Container[]): Result<string | undefined> {
  let numerator = 0n;
  let denominator = 1n;
  for (const container of containers) {
    const limit: unknown = container.resources?.limits?.memory;
    if (limit === undefined || limit === null) continue;
    const parsed = parseQuantity(String(limit));
    if (!parsed.ok) {
      return fail(
        `container ${container.name}: cannot parse resources.limits.memory "${String(limit)}": ${parsed.error}`,
      );
    }
    numerator = numerator * parsed.value.denominator + parsed.value.numerator * denominator;
    denominator *= parsed.value.denominator;
  }
  // Go: Quantity.Value() rounds the sum up to whole bytes; int64(float64(v) * 1.5) then truncates.
  const totalBytes = numerator % denominator === 0n ? numerator / denominator : numerator / denominator + 1n;
  const limit = (totalBytes * 3n) / 2n;
  return ok(limit > 0n ? formatBinaryQuantity(limit) : undefined);
}

export interface PodVolumeInputs {
  spec: ServingRuntimeSpec;
  modelsDirSizeLimit: string | undefined;
  socketDirectory: string | undefined;
  mountsStorageConfig: boolean;
  storageSecretName: string;
  pvcNames: readonly string[];
  etcdSecretName: string;
  tlsSecretName: string | undefined;
}

export function podVolumes(inputs: PodVolumeInputs): V1Volume[] {
  const volumes: V1Volume[] = structuredClone(inputs.spec.volumes ?? []);
  volumes.push({
    name: VOLUMES.modelsDir,
    emptyDir: inputs.modelsDirSizeLimit === undefined ? {} : { sizeLimit: inputs.modelsDirSizeLimit },
  });
  if (inputs.socketDirectory !== undefined) volumes.push({ name: VOLUMES.domainSocket, emptyDir: {} });
  if (inputs.mountsStorageConfig) {
    volumes.push({ name: VOLUMES.storageConfig, secret: { secretName: inputs.storageSecretName } });
  }
  for (const claimName of inputs.pvcNames) {
    volumes.push({ name: claimName, persistentVolumeClaim: { claimName, readOnly: true } });
  }
  volumes.push({ name: VOLUMES.typeConstraints, configMap: { name: OBJECTS.typeConstraintsConfigMap } });
  volumes.push({ name: VOLUMES.etcdConfig, secret: { secretName: inputs.etcdSecretName } });
  if (inputs.tlsSecretName !== undefined) {
    volumes.push({ name: VOLUMES.tlsCerts, secret: { secretName: inputs.tlsSecretName } });
  }
  return volumes;
}

export function modelsDirMount(): V1VolumeMount {
  return { name: VOLUMES.modelsDir, mountPath: PATHS.modelsDir };
}

export function pvcMounts(pvcNames: readonly string[]): V1VolumeMount[] {
  return pvcNames.map((claimName) => ({
    name: claimName,
    mountPath: `${PATHS.pvcMountsDir}/${claimName}`,
    readOnly: true,
  }));
}

export function storageConfigMount(): V1VolumeMount {
  return { name: VOLUMES.storageConfig, mountPath: PATHS.storageConfigDir, readOnly: true };
}

export function socketMount(directory: string): V1VolumeMount {
  return { name: VOLUMES.domainSocket, mountPath: directory };
}

export function typeConstraintsMount(): V1VolumeMount {
  return { name: VOLUMES.typeConstraints, mountPath: PATHS.modelMeshConfigDir };
}

export function etcdConfigMount(): V1VolumeMount {
  return { name: VOLUMES.etcdConfig, mountPath: PATHS.etcdDir, readOnly: true };
}

export function tlsCertsMount(): V1VolumeMount {
  return { name: VOLUMES.tlsCerts, mountPath: PATHS.tlsDir, readOnly: true };
}
