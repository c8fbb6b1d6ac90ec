/** TEST INFRASTRUCTURE: the ModelMesh emulator and its helpers (never shipped as a data plane). */

export {
  emulatorEndpointSlice,
  exposeEmulator,
  publishEmulatorEndpoints,
  withdrawEmulatorEndpoints,
} from "./endpoint-slices.js";
export { ModelMeshEmulator, type ModelMeshEmulatorOptions } from "./model-mesh-emulator.js";
