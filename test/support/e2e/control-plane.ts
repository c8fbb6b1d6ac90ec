/** What the end-to-end suites add to the shared installer (test/support/install/install.ts). */
import { type ControlPlane, startControlPlane } from "../control-plane/index.js";

export type { InstalledObject, InstallMethod, Scope } from "../install/install.js";

export const WEBHOOK_CONFIGURATION = "modelmesh-servingruntime.serving.kserve.io";

/**
 * A control plane whose API server also enforces owner-reference permissions (as OpenShift does), so an owner
 * reference with blockOwnerDeletion needs `update` on the owner's finalizers: the install must grant it.
 */
export function startE2eControlPlane(): Promise<ControlPlane> {
  return startControlPlane({
    apiServerArgs: ["--enable-admission-plugins=OwnerReferencesPermissionEnforcement"],
  });
}
