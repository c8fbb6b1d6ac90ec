/** `modelmesh-serving run`: the controller process (flags and env named as the upstream controller's). */

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadClusterAccess } from "../../controller-runtime/kubeconfig/load.js";
import { createLogger } from "../../controller-runtime/logging.js";
import type { Scope } from "../../controllers/context/context.js";
import { createControllerContext } from "../../controllers/context/create-context.js";
import { setupControllers } from "../../controllers/index.js";
import { fail, ok, type Result } from "../../lib/result.js";
import { WebhookRunnable } from "../../webhook/runnable.js";
import { type CliIo, type Command, EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE } from "../io.js";

const SERVICE_ACCOUNT_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
/** The Lease of leader election (upstream's name, so old and new controllers never lead at once). */
export const LEADER_ELECTION_LEASE_NAME = "modelmesh-controller-leader-lock";
/** Namespace used when neither `NAMESPACE` nor the service-account namespace file says otherwise. */
export const DEFAULT_CONTROLLER_NAMESPACE = "model-serving";
/** Default name of the controller's own Deployment (env `CONTROLLER_DEPLOYMENT`). */
export const DEFAULT_CONTROLLER_DEPLOYMENT = "modelmesh-controller";
/** Upstream's operator-lib lock for `--leader-elect-type=life`. */
export const LEADER_FOR_LIFE_LOCK_NAME = "modelmesh-controller-leader-for-life-lock";
export const DEFAULT_WEBHOOK_CERT_DIR = "/tmp/k8s-webhook-server/serving-certs";

const USAGE = `Usage: modelmesh-serving run [options]

Runs the controller: reconciles ServingRuntimes, ClusterServingRuntimes, Predictors and ModelMesh
InferenceServices into ModelMesh Deployments and models, and serves the runtime validation webhook.
SIGTERM (or SIGINT) stops taking work, lets reconciles in flight finish and releases leadership.

Options:
  --kubeconfig <path>                         kubeconfig to use (default: $KUBECONFIG, in-cluster, ~/.kube/config)
  --metrics-addr <[host]:port>                where /metrics listens; "0" turns it off (default :8080)
  --health-probe-bind-address <[host]:port>   where /healthz and /readyz listen; "0" turns them off (default :8081)
  --enable-leader-election                    compete for a lock before reconciling, so only one replica acts
                                              (default off)
  --leader-elect-type <lease|life>            lease: the Lease ${LEADER_ELECTION_LEASE_NAME}; a leader
                                              that cannot renew it steps down and campaigns again.
                                              life: the ConfigMap ${LEADER_FOR_LIFE_LOCK_NAME}
                                              owned by this pod, held until the pod is gone (default lease)
  --leader-elect-lease-duration-sec <n>       how long a Lease holds without renewal (default 15)
  --leader-elect-lease-renew-deadline-sec <n> how long the leader retries renewing before stepping down (default 10)
  --leader-elect-retry-period-sec <n>         pause between attempts to acquire or renew (default 2)
  --webhook-port <port>                       HTTPS port of the validating webhook (default 9443)
  --webhook-cert-dir <dir>                    directory with tls.crt and tls.key for the webhook; reloaded when they
                                              change; without them the webhook is off (default ${DEFAULT_WEBHOOK_CERT_DIR})
  --workers <n>                               concurrent reconciles per controller (default 2)
  -h, --help                                  show this help

Environment:
  NAMESPACE              the controller namespace (default: the service account's, else ${DEFAULT_CONTROLLER_NAMESPACE})
  POD_NAME               this pod; also names the controller Deployment when CONTROLLER_DEPLOYMENT is unset;
                         owns the leader-for-life lock
  POD_NAMESPACE          this pod's namespace; with --leader-elect-type=life it must be the controller namespace
  CONTROLLER_DEPLOYMENT  the controller's Deployment, owner of the Service in namespace scope
                         (default ${DEFAULT_CONTROLLER_DEPLOYMENT})
  ETCD_SECRET_NAME       Secret with ModelMesh's etcd connection (default model-serving-etcd)
  NAMESPACE_SCOPE        "true": serve only the controller namespace; otherwise cluster scope
  ENABLE_ISVC_WATCH      "false": ignore InferenceServices; "true": require their CRD; unset: use it if installed
  ENABLE_CSR_WATCH       the same for ClusterServingRuntimes (never used in namespace scope)
  DEV_MODE_LOGGING       set: debug logging (unless LOG_LEVEL says otherwise)
  LOG_LEVEL              trace, debug, info, warn or error
`;

export interface Address {
  host: string | undefined;
  port: number;
}

export interface RunOptions {
  kubeconfig: string | undefined;
  metrics: Address | undefined;
  health: Address | undefined;
  leaderElection: LeaderElectionFlags | undefined;
  webhookPort: number;
  webhookCertDir: string;
  workers: number;
  scope: Scope;
  namespace: string | undefined;
  controllerDeploymentName: string;
  etcdSecretName: string | undefined;
  featureEnv: { ENABLE_ISVC_WATCH?: string | undefined; ENABLE_CSR_WATCH?: string | undefined };
}

export type LeaderElectionFlags =
  | { type: "lease"; leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number }
  | { type: "life"; podName: string; podNamespace: string | undefined; retryPeriodMs: number };

/**
 * A mistake on the command line: a `usage` mistake prints the usage after the message (exit 2); an `input` one
 * only the message (exit 1), as upstream does for a bad lock type.
 */
interface Mistake {
  kind: "usage" | "input";
  error: string;
}

/** What the command line asks for: a run, the help text, or nothing because of a mistake. */
type Parsed = { kind: "run"; options: RunOptions } | { kind: "help" } | Mistake;

const usageMistake = (error: string): Mistake => ({ kind: "usage", error });

/** `[host]:port` as controller-runtime takes it; "0" means off. */
export function parseAddress(flag: string, text: string): Result<Address | undefined> {
  if (text === "0") return ok(undefined);
  const colon = text.lastIndexOf(":");
  const host = colon <= 0 ? undefined : text.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  const portText = colon < 0 ? text : text.slice(colon + 1);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) return fail(`--${flag}: expected [host]:port, got "${text}"`);
  return ok({ host, port });
}

function positiveInteger(flag: string, text: string, allowZero = false): Result<number> {
  const value = Number(text);
  if (!/^\d+$/.test(text) || (!allowZero && value === 0))
    return fail(`--${flag}: expected a positive integer, got "${text}"`);
  return ok(value);
}

/** The controller Deployment's name from a pod name `<deployment>-<replicaset hash>-<pod suffix>`. */
export function deploymentFromPodName(podName: string | undefined): string | undefined {
  return podName?.match(/^(.*)-[^-]*-[^-]*$/)?.[1];
}

export function parseRunOptions(args: readonly string[], env: CliIo["env"]): Parsed {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...args],
      options: {
        kubeconfig: { type: "string" },
        "metrics-addr": { type: "string", default: ":8080" },
        "health-probe-bind-address": { type: "string", default: ":8081" },
        "enable-leader-election": { type: "boolean", default: false },
        "leader-elect-type": { type: "string", default: "lease" },
        "leader-elect-lease-duration-sec": { type: "string", default: "15" },
        "leader-elect-lease-renew-deadline-sec": { type: "string", default: "10" },
        "leader-elect-retry-period-sec": { type: "string", default: "2" },
        "webhook-port": { type: "string", default: "9443" },
        "webhook-cert-dir": { type: "string", default: DEFAULT_WEBHOOK_CERT_DIR },
        workers: { type: "string", default: "2" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    return usageMistake((error as Error).message);
  }
  if (values.help === true) return { kind: "help" };
  const text = (name: string) => String(values[name]);
  const metrics = parseAddress("metrics-addr", text("metrics-addr"));
  if (!metrics.ok) return usageMistake(metrics.error);
  const health = parseAddress("health-probe-bind-address", text("health-probe-bind-address"));
  if (!health.ok) return usageMistake(health.error);
  const numbers: Record<string, number> = {};
  for (const flag of [
    "leader-elect-lease-duration-sec",
    "leader-elect-lease-renew-deadline-sec",
    "leader-elect-retry-period-sec",
    "workers",
  ]) {
    const value = positiveInteger(flag, text(flag));
    if (!value.ok) return usageMistake(value.error);
    numbers[flag] = value.value;
  }
  const webhookPort = positiveInteger("webhook-port", text("webhook-port"), true);
  if (!webhookPort.ok) return usageMistake(webhookPort.error);
  const seconds = (flag: string) => (numbers[flag] ?? 0) * 1000;
  const leaderElection = leaderElectionFlags(values, seconds, env);
  if (leaderElection !== undefined && "error" in leaderElection) return leaderElection;
  return {
    kind: "run",
    options: {
      kubeconfig: values.kubeconfig as string | undefined,
      metrics: metrics.value,
      health: health.value,
      leaderElection,
      webhookPort: webhookPort.value,
      webhookCertDir: text("webhook-cert-dir"),
      workers: numbers.workers ?? 2,
      scope: env.NAMESPACE_SCOPE === "true" ? "namespace" : "cluster",
      namespace: env.NAMESPACE || undefined,
      controllerDeploymentName:
        env.CONTROLLER_DEPLOYMENT || deploymentFromPodName(env.POD_NAME) || DEFAULT_CONTROLLER_DEPLOYMENT,
      etcdSecretName: env.ETCD_SECRET_NAME || undefined,
      featureEnv: { ENABLE_ISVC_WATCH: env.ENABLE_ISVC_WATCH, ENABLE_CSR_WATCH: env.ENABLE_CSR_WATCH },
    },
  };
}

function leaderElectionFlags(
  values: Record<string, string | boolean | undefined>,
  seconds: (flag: string) => number,
  env: CliIo["env"],
): LeaderElectionFlags | undefined | Mistake {
  const type = String(values["leader-elect-type"]);
  if (type !== "lease" && type !== "life") {
    return { kind: "input", error: `Invalid value for leader-elect-type: '${type}'. Use 'lease' or 'life'` };
  }
  if (values["enable-leader-election"] !== true) return undefined;
  const retryPeriodMs = seconds("leader-elect-retry-period-sec");
  if (type === "life") {
    const podName = env.POD_NAME;
    if (!podName) {
      return {
        kind: "input",
        error:
          "--leader-elect-type=life needs POD_NAME (the downward API's metadata.name): the pod owns the lock",
      };
    }
    return { type, podName, podNamespace: env.POD_NAMESPACE || undefined, retryPeriodMs };
  }
  const leaseDurationMs = seconds("leader-elect-lease-duration-sec");
  const renewDeadlineMs = seconds("leader-elect-lease-renew-deadline-sec");
  if (!(leaseDurationMs > renewDeadlineMs && renewDeadlineMs > retryPeriodMs)) {
    return usageMistake(
      "--leader-elect-lease-duration-sec must exceed --leader-elect-lease-renew-deadline-sec, which must exceed --leader-elect-retry-period-sec",
    );
  }
  return { type, leaseDurationMs, renewDeadlineMs, retryPeriodMs };
}

function controllerNamespace(fromEnv: string | undefined): string {
  if (fromEnv !== undefined) return fromEnv;
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE_FILE, "utf8").trim() || DEFAULT_CONTROLLER_NAMESPACE;
  } catch {
    return DEFAULT_CONTROLLER_NAMESPACE;
  }
}

export const runCommand: Command = {
  name: "run",
  summary: "run the controller (reconcilers, webhook, metrics and probes)",
  usage: USAGE,
  async run(args, io) {
    const parsed = parseRunOptions(args, io.env);
    if (parsed.kind === "help") {
      io.stdout(USAGE);
      return EXIT_OK;
    }
    if (parsed.kind === "input") {
      io.stderr(`${parsed.error}\n`);
      return EXIT_INVALID_INPUT;
    }
    if (parsed.kind !== "run") {
      io.stderr(`${parsed.error}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    const options = parsed.options;
    const log = createLogger("setup");
    const namespace = controllerNamespace(options.namespace);
    const election = options.leaderElection;
    if (
      election?.type === "life" &&
      election.podNamespace !== undefined &&
      election.podNamespace !== namespace
    ) {
      io.stderr(
        `--leader-elect-type=life: the pod's namespace (POD_NAMESPACE=${election.podNamespace}) must be the controller namespace ${namespace}, where the lock lives\n`,
      );
      return EXIT_INVALID_INPUT;
    }
    log.info(
      { namespace, scope: options.scope },
      options.scope === "namespace"
        ? "Controller operating in namespace scope (own-namespace only) mode"
        : "Controller operating in cluster scope mode, will attempt to watch/manage all namespaces",
    );
    let stopManager: (() => Promise<void>) | undefined;
    try {
      const ctx = await createControllerContext({
        kubeConfig: loadClusterAccess({ kubeconfig: options.kubeconfig, env: io.env }),
        scope: options.scope,
        controllerNamespace: namespace,
        controllerDeploymentName: options.controllerDeploymentName,
        etcdSecretNameEnv: options.etcdSecretName,
        featureEnv: options.featureEnv,
        manager: {
          metricsPort: options.metrics?.port,
          metricsHost: options.metrics?.host,
          healthPort: options.health?.port,
          healthHost: options.health?.host,
          leaderElection:
            election === undefined
              ? undefined
              : election.type === "life"
                ? {
                    type: "life",
                    namespace,
                    name: LEADER_FOR_LIFE_LOCK_NAME,
                    podName: election.podName,
                    retryPeriodMs: election.retryPeriodMs,
                  }
                : { ...election, namespace, name: LEADER_ELECTION_LEASE_NAME },
        },
      });
      setupControllers(ctx, { workers: options.workers });
      ctx.manager.addRunnable(
        new WebhookRunnable({
          certDir: options.webhookCertDir,
          port: options.webhookPort,
          builtInServerTypes: () => ctx.config.current().builtInServerTypes,
        }),
      );
      stopManager = () => ctx.manager.stop();
      ctx.manager.stopOnSignals();
      log.info("starting manager");
      await ctx.manager.start();
    } catch (error) {
      log.error({ err: error }, "controller could not start");
      io.stderr(`modelmesh-serving run: ${(error as Error).message}\n`);
      // Close the servers and caches that did start, so the process can end.
      await stopManager?.().catch(() => undefined);
      return EXIT_INVALID_INPUT;
    }
    // From here the process lives until a signal stops the manager (which exits the process).
    return new Promise<number>(() => undefined);
  },
};
