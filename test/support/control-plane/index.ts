export { controlPlaneBinaries, REPO_ROOT } from "./binaries.js";
export { createCertificateAuthority, type KeyPairPem } from "./certificates.js";
export {
  ControlPlane,
  type ControlPlaneOptions,
  etcdArgs,
  freePort,
  kubeconfigForUser,
  startControlPlane,
} from "./control-plane.js";
