/**
 * End to end, cluster scope: `kubectl apply -k config/default`, and the Helm chart with its defaults, each on its
 * own control plane; the controller from source as the install's ServiceAccount serves its own namespace and a
 * second one labelled modelmesh-enabled=true (see install-scenario.ts).
 */
import { describeInstall } from "./install-scenario.js";

describeInstall("kustomize", "cluster");
describeInstall("helm", "cluster");
