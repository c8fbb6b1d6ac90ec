// npm run local:up [-- --no-controller] [-- --load-time-ms <ms>|<min>-<max>] | npm run local:down — the local
// sandbox in the background (see README).
import { parseArgs } from "node:util";
import { parseLoadTime } from "../test/support/emulator/load-time.js";
import { down, up } from "../test/support/sandbox/sandbox.js";

const say = (line: string) => console.log(line);
const usage = "usage: tsx scripts/local.ts up [--no-controller] [--load-time-ms <ms>|<min>-<max>] | down";

try {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      "no-controller": { type: "boolean", default: false },
      "load-time-ms": { type: "string" },
    },
  });
  const [command] = positionals;
  if (command === "up") {
    const loadTime = values["load-time-ms"];
    await up(say, {
      controller: !values["no-controller"],
      ...(loadTime === undefined ? {} : { emulatorLoadTime: parseLoadTime(loadTime) }),
    });
  } else if (command === "down") await down(say);
  else {
    console.error(usage);
    process.exitCode = 2;
  }
} catch (error) {
  console.error(`local:${process.argv[2]} failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
