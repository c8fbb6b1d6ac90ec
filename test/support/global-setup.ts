import type { TestProject } from "vitest/node";
import { bundle } from "../../scripts/bundle.js";
import { startControlPlane } from "./control-plane/index.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Admin kubeconfig of the control plane shared by the integration suites. */
    kubeconfigPath: string;
    /** etcd of that control plane, for suites that also need a ModelMesh registry (use a prefix of your own). */
    etcdEndpoint: string;
  }
}

/**
 * Builds the shipped bundle (a second with esbuild; the suites that run the controller "built" run it) and starts
 * one real control plane for the integration project; suites that restart it start their own.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await bundle();
  const plane = await startControlPlane();
  project.provide("kubeconfigPath", plane.kubeconfigPath);
  project.provide("etcdEndpoint", plane.etcdEndpoint);
  return () => plane.stop();
}
