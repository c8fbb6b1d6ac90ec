/** TEST INFRASTRUCTURE: the ModelMesh emulator and its helpers (never shipped as a data plane). */

export { type StandaloneEtcd, startStandaloneEtcd } from "../etcd/standalone-etcd.js";
export {
  emulatorEndpointSlice,
  exposeEmulator,
  publishEmulatorEndpoints,
  withdrawEmulatorEndpoints,
} from "./endpoint-slices.js";
export { ModelMeshEmulator, type ModelMeshEmulatorOptions } from "./model-mesh-emulator.js";
