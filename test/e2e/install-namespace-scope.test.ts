/**
 * End to end, namespace scope: `kubectl apply -k config/overlays/namespace-scope`, and the Helm chart with
 * scope=namespace, each on its own control plane; the controller from source as the install's ServiceAccount
 * serves only its namespace, with Roles alone (see install-scenario.ts).
 */
import { describeInstall } from "./install-scenario.js";

describeInstall("kustomize", "namespace");
describeInstall("helm", "namespace");
