/**
 * The local sandbox: a real control plane with the CRDs, the four built-in ClusterServingRuntimes, the ModelMesh
 * emulator (test infrastructure standing in for model-mesh pods, one mesh per served namespace) with a real
 * MLServer behind each instance of the `mlserver-1.x` runtime, the example models trained for it, and the
 * controller, all in the background.
 */

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { stringify } from "yaml";
import { REPO_ROOT, startControlPlane } from "../control-plane/index.js";
import { isAlive, sleep, startProcess, stopPid } from "../control-plane/processes.js";
import { startControllerProcess } from "../controller/process.js";
import { ETCD_SECRET_NAME, etcdSecret } from "../controller/user-config.js";
import { localWebhookConfiguration, writeLoopbackWebhookCertificate } from "../controller/webhook.js";
import type { LoadTime } from "../emulator/load-time.js";
import type { MeshAddress } from "../emulator/served-meshes.js";
import { kubectl as kubectlAs } from "../install/install.js";
import { namespaceObject } from "../kube/namespaces.js";
import {
  type ExampleModels,
  pythonEnvBinDir,
  readExampleModels,
  trainExampleModels,
} from "../mlserver/index.js";
import { sandboxModelPaths } from "./examples.js";

export const LOCAL_DIR = path.join(REPO_ROOT, ".local");
export const RUN_DIR = path.join(LOCAL_DIR, "run");
export const LOG_DIR = path.join(LOCAL_DIR, "logs");
export const STATE_DIR = path.join(LOCAL_DIR, "control-plane");
export const MODELS_DIR = path.join(LOCAL_DIR, "models");
export const WEBHOOK_CERT_DIR = path.join(LOCAL_DIR, "webhook-certs");
export const KUBECONFIG = path.join(LOCAL_DIR, "kubeconfig");
/** Every served namespace's mesh and its loopback ports, as the emulator writes them (see `ServedMeshes`). */
export const MESH_ADDRESSES = path.join(RUN_DIR, "meshes.json");
/** The ports asked for the controller namespace's mesh: model-mesh's and rest-proxy's, when they are free. */
const MESH_PORTS = { grpc: 8033, rest: 8008 };

/** `root_prefix` of the sandbox's etcd Secret (the default of `etcdSecret`). */
const ROOT_PREFIX = "modelmesh-serving";
/** The controller's namespace, served without a label like upstream's default install. */
export const CONTROLLER_NAMESPACE = "modelmesh-serving";
/** The emulator takes this long per load by default, so the progress display shows models Loading before Loaded. */
const EMULATED_LOAD_MS = 1500;

/** Processes in start order; `down` stops them in reverse. */
export const COMPONENTS = ["etcd", "kube-apiserver", "emulator", "controller"] as const;

type Say = (line: string) => void;

export interface UpOptions {
  /** Leave the controller out (run it yourself, e.g. from a debugger). */
  controller: boolean;
  /** How long each emulated model load takes (`--load-time-ms`). */
  emulatorLoadTime?: LoadTime;
}

interface PidFile {
  component: string;
  pid: number;
  alive: boolean;
}

function readPidFiles(): PidFile[] {
  if (!existsSync(RUN_DIR)) return [];
  return readdirSync(RUN_DIR)
    .filter((file) => file.endsWith(".pid"))
    .map((file) => {
      const pid = Number.parseInt(readFileSync(path.join(RUN_DIR, file), "utf8").trim(), 10);
      return { component: file.slice(0, -4), pid, alive: Number.isInteger(pid) && pid > 0 && isOurs(pid) };
    });
}

/** A live pid whose command line points into this checkout (a pid file can outlive its process). */
function isOurs(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(REPO_ROOT);
  } catch {
    return true;
  }
}

function writePid(component: string, pid: number): void {
  writeFileSync(path.join(RUN_DIR, `${component}.pid`), `${pid}\n`);
}

/** Starts the sandbox in the background and returns once it is ready; reports a running one instead. */
export async function up(say: Say, options: UpOptions = { controller: true }): Promise<void> {
  const pids = readPidFiles();
  const running = pids.filter((p) => p.alive);
  const expected = COMPONENTS.filter((c) => options.controller || c !== "controller");
  if (running.length > 0 && running.length === pids.length && existsSync(KUBECONFIG)) {
    say(
      `The local sandbox is already running (${running.map((p) => `${p.component} ${p.pid}`).join(", ")}).`,
    );
    say(`kubeconfig: ${KUBECONFIG}`);
    return;
  }
  if (pids.length > 0) {
    const dead = pids.filter((p) => !p.alive).map((p) => p.component);
    say(`Found a stale sandbox in .local/ (not running: ${dead.join(", ")}); cleaning it up first.`);
    await down(() => undefined);
  }

  mkdirSync(RUN_DIR, { recursive: true });
  mkdirSync(LOG_DIR, { recursive: true });
  rmSync(STATE_DIR, { recursive: true, force: true });
  try {
    say(
      "Starting etcd and kube-apiserver. On this machine's first run they are built from Go modules first: " +
        "about 10 minutes on 2 cores (about 4 with warm Go caches), reported stage by stage; later runs take seconds.",
    );
    const plane = await startControlPlane({ dir: STATE_DIR, logDir: LOG_DIR, detached: true });
    for (const [component, pid] of Object.entries(plane.pids)) writePid(component, pid);
    writeFileSync(KUBECONFIG, readFileSync(plane.kubeconfigPath));
    say(`  kube-apiserver ${plane.apiServerUrl}, etcd ${plane.etcdEndpoint}`);

    say(
      "Installing the CRDs, the controller namespace and its Secrets, the built-in ClusterServingRuntimes...",
    );
    await installBase(plane.etcdEndpoint);

    say(
      "Preparing MLServer's Python environment (pinned, cached per machine: about a minute on this machine's " +
        "first run, then under a second) and training the example models...",
    );
    const pythonBinDir = await pythonEnvBinDir();
    await seedModelStore(pythonBinDir);

    say(
      "Starting the ModelMesh emulator (test infrastructure standing in for model-mesh pods; real MLServer)...",
    );
    await startEmulator(plane.etcdEndpoint, options.emulatorLoadTime ?? EMULATED_LOAD_MS, pythonBinDir);

    if (options.controller) {
      say("Starting the controller and registering its admission webhook...");
      await startController();
    } else {
      say("Not starting the controller (--no-controller).");
    }
  } catch (error) {
    say("Start-up failed; stopping what was started.");
    await down(() => undefined);
    throw error;
  }
  say(`Ready (${expected.join(", ")}). kubeconfig: ${KUBECONFIG}   logs: ${LOG_DIR}`);
}

/** Stops every sandbox process named by a pid file and removes the cluster state; logs stay. */
export async function down(say: Say): Promise<void> {
  const pids = readPidFiles();
  if (pids.length === 0) say("The local sandbox is not running.");
  const order = [...COMPONENTS].reverse() as string[];
  pids.sort((a, b) => order.indexOf(a.component) - order.indexOf(b.component));
  for (const { component, pid, alive } of pids) {
    if (alive) {
      await stopPid(pid);
      say(`Stopped ${component} (pid ${pid}).`);
    }
    rmSync(path.join(RUN_DIR, `${component}.pid`), { force: true });
  }
  for (const dir of [STATE_DIR, WEBHOOK_CERT_DIR, MODELS_DIR]) rmSync(dir, { recursive: true, force: true });
  rmSync(KUBECONFIG, { force: true });
  rmSync(MESH_ADDRESSES, { force: true });
}

/** kubectl as the sandbox's admin. */
export function kubectl(args: string[], input?: string): Promise<string> {
  return kubectlAs({ kubeconfigPath: KUBECONFIG }, args, input);
}

async function installBase(etcdEndpoint: string): Promise<void> {
  await kubectl(["apply", "--server-side", "-f", path.join(REPO_ROOT, "crds")]);
  await kubectl(["wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"]);
  const objects = [
    namespaceObject(CONTROLLER_NAMESPACE),
    etcdSecret(CONTROLLER_NAMESPACE, { endpoints: etcdEndpoint, rootPrefix: ROOT_PREFIX }),
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "storage-config", namespace: CONTROLLER_NAMESPACE },
      stringData: {
        localMinIO: JSON.stringify({
          type: "s3",
          endpoint_url: "http://sandbox-model-store",
          default_bucket: "x",
        }),
      },
    },
  ];
  await kubectl(["apply", "--server-side", "-f", "-"], objects.map((o) => stringify(o)).join("---\n"));
  await kubectl(["apply", "--server-side", "-k", path.join(REPO_ROOT, "config/runtimes")]);
}

/**
 * The emulator resolves a model's storage path inside `.local/models`: the sklearn, xgboost and lightgbm examples'
 * models are trained there (MLServer loads them), the other examples' paths exist for the emulated runtimes.
 */
async function seedModelStore(pythonBinDir: string): Promise<void> {
  mkdirSync(MODELS_DIR, { recursive: true });
  const trained = await trainExampleModels(pythonBinDir, MODELS_DIR);
  const real = new Set(trained.models.map((m) => m.path));
  for (const modelPath of sandboxModelPaths()) {
    if (!real.has(modelPath)) mkdirSync(path.join(MODELS_DIR, modelPath), { recursive: true });
  }
}

/** The trained example models with their known inputs, once the sandbox is up. */
export function sandboxExampleModels(): Promise<ExampleModels> {
  return readExampleModels(MODELS_DIR);
}

/** The meshes the emulator runs, with their loopback ports. */
export function meshAddresses(): MeshAddress[] {
  return existsSync(MESH_ADDRESSES)
    ? (JSON.parse(readFileSync(MESH_ADDRESSES, "utf8")) as MeshAddress[])
    : [];
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

/** `preferred` when nothing listens there yet, else 0 (any free port). */
async function portOr0(preferred: number): Promise<number> {
  return (await isPortFree(preferred)) ? preferred : 0;
}

async function startEmulator(etcdEndpoint: string, loadTime: LoadTime, pythonBinDir: string): Promise<void> {
  const logFile = path.join(LOG_DIR, "emulator.log");
  const emulator = startProcess({
    name: "emulator",
    command: process.execPath,
    args: [
      "--import",
      "tsx",
      path.join(REPO_ROOT, "test/support/emulator/main.ts"),
      `--kubeconfig=${KUBECONFIG}`,
      `--etcd=${etcdEndpoint}`,
      `--models-dir=${MODELS_DIR}`,
      `--controller-namespace=${CONTROLLER_NAMESPACE}`,
      `--root-prefix=${ROOT_PREFIX}`,
      `--port=${await portOr0(MESH_PORTS.grpc)}`,
      `--rest-port=${await portOr0(MESH_PORTS.rest)}`,
      `--load-time-ms=${typeof loadTime === "number" ? loadTime : `${loadTime.minMs}-${loadTime.maxMs}`}`,
      `--mlserver-python-bin=${pythonBinDir}`,
      `--address-file=${MESH_ADDRESSES}`,
    ],
    logFile,
    detached: true,
    env: { ...process.env, LOG_LEVEL: "info" },
  });
  writePid("emulator", emulator.pid);
  await waitFor("the emulator", logFile, emulator.isRunning, async () =>
    readFileSync(logFile, "utf8").includes("modelmesh emulator for"),
  );
}

async function startController(): Promise<void> {
  const caPem = await writeLoopbackWebhookCertificate(path.join(STATE_DIR, "pki"), WEBHOOK_CERT_DIR);

  const logFile = path.join(LOG_DIR, "controller.log");
  const controller = await startControllerProcess({
    kubeconfig: KUBECONFIG,
    webhookCertDir: WEBHOOK_CERT_DIR,
    logFile,
    detached: true,
    env: { NAMESPACE: CONTROLLER_NAMESPACE, ETCD_SECRET_NAME },
  });
  const ports = controller.ports;
  if (ports === undefined) throw new Error("the controller listens on no known port");
  writePid("controller", controller.pid);
  writeFileSync(path.join(RUN_DIR, "controller.ports.json"), JSON.stringify(ports));
  await waitFor(
    "the controller",
    logFile,
    () => controller.isRunning(),
    () => controller.answers(),
  );

  const webhook = localWebhookConfiguration(ports.webhook, caPem);
  await kubectl(["apply", "--server-side", "-f", "-"], stringify(webhook));
}

async function waitFor(
  what: string,
  logFile: string,
  isRunning: () => boolean,
  ready: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (!isRunning()) throw new Error(`${what} exited during start-up; see ${logFile}`);
    if (await ready()) return;
    await sleep(250);
  }
  throw new Error(`${what} was not ready after 60 s; see ${logFile}`);
}
