// npm run sandbox — the main job on the local sandbox: start it (if needed), apply the example
// InferenceServices and show them reaching Loaded. The sandbox keeps running afterwards (npm run local:down).
import { INFERENCE_SERVICES } from "../src/apis/resource-types.js";
import { loadKubeConfig, testClient } from "../test/support/kube/clients.js";
import { EXAMPLES_DIR, exampleInferenceServices } from "../test/support/sandbox/examples.js";
import { isDone, renderProgress, rowOf } from "../test/support/sandbox/progress.js";
import { CONTROLLER_NAMESPACE, KUBECONFIG, kubectl, up } from "../test/support/sandbox/sandbox.js";

const TIMEOUT_MS = 180_000;
const say = (line: string) => console.log(line);

async function main(): Promise<number> {
  await up(say);
  say(
    `\nApplying ${exampleInferenceServices().length} example InferenceServices from config/example-isvcs...`,
  );
  await kubectl(["apply", "--server-side", "-n", CONTROLLER_NAMESPACE, "-k", EXAMPLES_DIR]);

  const client = testClient(loadKubeConfig(KUBECONFIG));
  const names = new Set(exampleInferenceServices().map((isvc) => isvc.metadata?.name));
  const started = Date.now();
  const tty = process.stdout.isTTY === true;
  let previous: string[] = [];
  let printed: string[] = [];

  for (;;) {
    const list = (await client.list(INFERENCE_SERVICES, { namespace: CONTROLLER_NAMESPACE })) as unknown as {
      items: Parameters<typeof rowOf>[0][];
    };
    const rows = list.items.filter((item) => names.has(item.metadata?.name)).map(rowOf);
    const lines = renderProgress(rows, Date.now() - started, process.stdout.columns ?? 120);
    if (tty) {
      if (previous.length > 0) process.stdout.write(`\x1b[${previous.length}A\x1b[J`);
      process.stdout.write(`${lines.join("\n")}\n`);
    } else if (lines.slice(0, -1).join("\n") !== previous.slice(0, -1).join("\n")) {
      say(lines.join("\n"));
      printed = lines;
    }
    previous = lines;

    const done = rows.length === names.size && rows.every(isDone);
    if (done || Date.now() - started > TIMEOUT_MS) {
      if (!tty && printed !== lines) say(lines.at(-1) ?? "");
      if (done) {
        say(`\nAll ${rows.length} InferenceServices are Loaded. Try:`);
        say(
          `  "$(bash scripts/build-control-plane.sh)/kubectl" --kubeconfig ${KUBECONFIG} get inferenceservices -A`,
        );
        say("  npm run local:down   # stop the sandbox");
        return 0;
      }
      say(`\nNot every InferenceService reached Loaded within ${TIMEOUT_MS / 1000} s; see .local/logs/.`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`sandbox failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
