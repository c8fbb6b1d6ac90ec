/** What the e2e suites read back from the API server: model states, runtime Deployments, Events. */

import type { KubernetesObject, V1Deployment } from "@kubernetes/client-node";
import {
  CORE_EVENTS,
  DEPLOYMENTS,
  INFERENCE_SERVICES,
  PREDICTORS,
} from "../../../src/apis/resource-types.js";
import { LABELS } from "../../../src/builders/constants.js";
import type { KubeClient } from "../../../src/controller-runtime/kube-client.js";
import type { InstalledObject } from "../install/install.js";
import type { CoreEvent } from "../kube/clients.js";

interface ModelStatusView {
  activeModelState?: string;
  lastFailureInfo?: { reason?: string; message?: string };
}

function statusOf(object: KubernetesObject): ModelStatusView {
  const status = (object as { status?: Record<string, unknown> }).status ?? {};
  if (object.kind === "InferenceService") {
    const model = status.modelStatus as
      | { states?: { activeModelState?: string }; lastFailureInfo?: ModelStatusView["lastFailureInfo"] }
      | undefined;
    return { activeModelState: model?.states?.activeModelState, lastFailureInfo: model?.lastFailureInfo };
  }
  return status as ModelStatusView;
}

/** `Kind namespace/name` → the model's status as the controller wrote it. */
export async function modelStatuses(
  client: KubeClient,
  models: readonly InstalledObject[],
): Promise<Map<string, ModelStatusView>> {
  const statuses = new Map<string, ModelStatusView>();
  for (const model of models) {
    const type = model.kind === "Predictor" ? PREDICTORS : INFERENCE_SERVICES;
    const live = await client.get(type, model.metadata.name, model.metadata.namespace);
    statuses.set(
      `${model.kind} ${model.metadata.namespace}/${model.metadata.name}`,
      live ? statusOf({ ...live, kind: model.kind }) : {},
    );
  }
  return statuses;
}

export async function runtimeDeployments(client: KubeClient, namespace: string): Promise<V1Deployment[]> {
  const list = await client.list<V1Deployment>(DEPLOYMENTS, {
    namespace,
    labelSelector: LABELS.modelMeshService,
  });
  return list.items;
}

export interface ObservedEvent extends CoreEvent {
  source?: { component?: string };
}

/** Core Events of a namespace, or of every namespace. */
export async function events(client: KubeClient, namespace?: string): Promise<ObservedEvent[]> {
  return (await client.list<ObservedEvent>(CORE_EVENTS, { namespace })).items;
}
