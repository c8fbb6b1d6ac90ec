/** Where the kinds the model controller reads and writes live in the API. */
import {
  KIND_INFERENCE_SERVICE,
  KIND_PREDICTOR,
  PLURAL_INFERENCE_SERVICES,
  PLURAL_PREDICTORS,
  SERVING_V1ALPHA1,
  SERVING_V1BETA1,
} from "../../apis/serving/group.js";
import type { ResourceType } from "../../runtime/kube-client.js";

export const PREDICTORS: ResourceType = {
  apiVersion: SERVING_V1ALPHA1,
  kind: KIND_PREDICTOR,
  plural: PLURAL_PREDICTORS,
  namespaced: true,
};

export const INFERENCE_SERVICES: ResourceType = {
  apiVersion: SERVING_V1BETA1,
  kind: KIND_INFERENCE_SERVICE,
  plural: PLURAL_INFERENCE_SERVICES,
  namespaced: true,
};

export const DEPLOYMENTS: ResourceType = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  plural: "deployments",
  namespaced: true,
};

export const ENDPOINT_SLICES: ResourceType = {
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  plural: "endpointslices",
  namespaced: true,
};

export const SECRETS: ResourceType = {
  apiVersion: "v1",
  kind: "Secret",
  plural: "secrets",
  namespaced: true,
};
