/**
 * A local cluster set up for the serving benchmark, as the sandbox sets itself up: a real control plane with the
 * CRDs, the built-in ClusterServingRuntimes and the controller namespace with its Secrets; the ModelMesh emulator
 * as a process of its own (`test/support/emulator/main.ts`) with a real MLServer behind each MLServer instance,
 * its REST port, the pod simulator and its endpoints published; the controller as a process; and the sklearn
 * example InferenceService (`config/example-isvcs/example-sklearn-mnist.yaml`), its model trained from
 * scikit-learn's digits, registered by the controller and loaded. The user config asks for one pod per runtime,
 * so the one MLServer instance's MLServer serves it.
 */

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { KubernetesObject } from "@kubernetes/client-node";
import { parse, stringify } from "yaml";
import { INFERENCE_SERVICES } from "../../../src/apis/resource-types.js";
import { REPO_ROOT, startControlPlane } from "../control-plane/index.js";
import { logLine, type RunningProcess, sleep, startProcess } from "../control-plane/processes.js";
import { type ControllerProcess, startControllerProcess } from "../controller/process.js";
import { ETCD_SECRET_NAME, etcdSecret, userConfigMap } from "../controller/user-config.js";
import { kubectl } from "../install/install.js";
import { loadKubeConfig, testClient } from "../kube/clients.js";
import { namespaceObject } from "../kube/namespaces.js";
import { type ExampleModel, exampleModel, pythonEnvBinDir, trainExampleModels } from "../mlserver/index.js";
import { type GrpcForwarder, startGrpcForwarder } from "./grpc-forwarder-process.js";
import { activeModelState } from "./load-generator.js";

const NAMESPACE = "modelmesh-serving";
const EXAMPLE = path.join(REPO_ROOT, "config/example-isvcs/example-sklearn-mnist.yaml");
const DIGITS = "sklearn/mnist-svm.joblib";
const START_TIMEOUT_MS = 120_000;

export interface ServingClusterOptions {
  /** Node flags for the emulator process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
  readonly meshNodeArgs?: readonly string[];
  readonly say: (line: string) => void;
}

/** The MLServer behind the emulator's one MLServer instance, as the emulator's log names it. */
export interface RuntimeServer {
  readonly pid: number;
  readonly grpcAddress: string;
  readonly restUrl: string;
}

export interface ServingCluster {
  /** The InferenceService, i.e. the vmodel a client of the cluster names. */
  readonly vmodel: string;
  /** The digits model's known inputs and classes. */
  readonly digits: ExampleModel;
  readonly mesh: { readonly pid: number; readonly grpcAddress: string; readonly restUrl: string };
  readonly mlserver: RuntimeServer;
  /** A bare forwarder in front of that MLServer (grpc-forwarder.ts): the floor of any Node.js mesh. */
  readonly forwarder: { readonly pid: number; readonly grpcAddress: string };
  readonly controller: ControllerProcess;
  readonly logDir: string;
  stop(): Promise<void>;
}

export async function startServingCluster(options: ServingClusterOptions): Promise<ServingCluster> {
  const { say } = options;
  const dir = mkdtempSync(path.join(tmpdir(), "mms-bench-serving-"));
  const logDir = mkdtempSync(path.join(tmpdir(), "mms-bench-serving-logs-"));
  const modelsDir = path.join(dir, "models");
  say("starting etcd and kube-apiserver...");
  const plane = await startControlPlane({ dir: path.join(dir, "control-plane") });
  let emulator: RunningProcess | undefined;
  let controller: ControllerProcess | undefined;
  let forwarder: GrpcForwarder | undefined;
  const stop = async () => {
    await forwarder?.process.stop();
    await controller?.stop();
    await emulator?.stop(30_000);
    await plane.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const pythonBinDir = await pythonEnvBinDir();
    say("training the example models...");
    const digits = exampleModel(await trainExampleModels(pythonBinDir, modelsDir), DIGITS);

    say("installing the CRDs, the controller namespace and its Secrets, the built-in runtimes...");
    await kubectl(plane, ["apply", "--server-side", "-f", path.join(REPO_ROOT, "crds")]);
    await kubectl(plane, ["wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"]);
    const objects = [
      namespaceObject(NAMESPACE),
      etcdSecret(NAMESPACE, { endpoints: plane.etcdEndpoint }),
      // One runtime pod, so one MLServer serves the model (upstream's default is two).
      userConfigMap(NAMESPACE, "podsPerRuntime: 1\n"),
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "storage-config", namespace: NAMESPACE },
        stringData: {
          localMinIO: JSON.stringify({
            type: "s3",
            endpoint_url: "http://bench-model-store",
            default_bucket: "x",
          }),
        },
      },
    ];
    await kubectl(
      plane,
      ["apply", "--server-side", "-f", "-"],
      objects.map((o) => stringify(o)).join("---\n"),
    );
    await kubectl(plane, ["apply", "--server-side", "-k", path.join(REPO_ROOT, "config/runtimes")]);

    say("starting the ModelMesh emulator (its own process, a real MLServer per MLServer instance)...");
    const emulatorLog = path.join(logDir, "emulator.log");
    emulator = startProcess({
      name: "emulator",
      command: process.execPath,
      args: [
        ...(options.meshNodeArgs ?? []),
        "--import",
        "tsx",
        path.join(REPO_ROOT, "test/support/emulator/main.ts"),
        `--kubeconfig=${plane.kubeconfigPath}`,
        `--etcd=${plane.etcdEndpoint}`,
        `--models-dir=${modelsDir}`,
        `--controller-namespace=${NAMESPACE}`,
        "--root-prefix=modelmesh-serving",
        `--mlserver-python-bin=${pythonBinDir}`,
      ],
      logFile: emulatorLog,
      detached: false,
      env: { ...process.env, LOG_LEVEL: "info" },
    });
    const running = emulator;
    const [grpcPort, restPort] = await logLine(
      running,
      emulatorLog,
      new RegExp(
        `modelmesh emulator for ${NAMESPACE} listening on 127\\.0\\.0\\.1:(\\d+) \\(REST 127\\.0\\.0\\.1:(\\d+)\\)`,
      ),
      START_TIMEOUT_MS,
    );

    say("starting the controller...");
    controller = await startControllerProcess({
      command: "source",
      kubeconfig: plane.kubeconfigPath,
      logFile: path.join(logDir, "controller.log"),
      env: { NAMESPACE, ETCD_SECRET_NAME, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" },
    });
    await controller.waitReady(START_TIMEOUT_MS);

    const isvc = parse(readFileSync(EXAMPLE, "utf8")) as KubernetesObject;
    const vmodel = isvc.metadata?.name ?? "";
    say(`applying ${vmodel}; waiting for Loaded (runtime scale-up, MLServer start, model load)...`);
    const client = testClient(loadKubeConfig(plane.kubeconfigPath));
    await client.create(INFERENCE_SERVICES, {
      ...isvc,
      metadata: { ...isvc.metadata, namespace: NAMESPACE },
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const current = await client.get(INFERENCE_SERVICES, vmodel, NAMESPACE);
      if (current !== undefined && activeModelState(current) === "Loaded") break;
      if (Date.now() > deadline) throw new Error(`${vmodel} was not Loaded after ${START_TIMEOUT_MS} ms`);
      await sleep(200);
    }
    const mlserver = runtimeServer(emulatorLog);
    forwarder = await startGrpcForwarder(mlserver.grpcAddress, path.join(logDir, "forwarder.log"));
    return {
      vmodel,
      digits,
      mesh: {
        pid: running.pid,
        grpcAddress: `127.0.0.1:${grpcPort}`,
        restUrl: `http://127.0.0.1:${restPort}`,
      },
      mlserver,
      forwarder: { pid: forwarder.process.pid, grpcAddress: forwarder.grpcAddress },
      controller,
      logDir,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The one MLServer the emulator started, from its `MLServer started` log line. */
function runtimeServer(emulatorLog: string): RuntimeServer {
  const started = readFileSync(emulatorLog, "utf8")
    .split("\n")
    .flatMap((line) => {
      if (!line.startsWith("{")) return [];
      const entry = JSON.parse(line) as { msg?: string; pid?: number; grpc?: string; rest?: string };
      return entry.msg === "MLServer started" ? [entry] : [];
    });
  const [server] = started;
  if (started.length !== 1 || server?.pid === undefined || !server.grpc || !server.rest)
    throw new Error(`expected one MLServer in ${emulatorLog}, found ${started.length}`);
  return { pid: server.pid, grpcAddress: server.grpc, restUrl: server.rest };
}
