// npm run local:up [-- --no-controller] | npm run local:down — the local sandbox in the background (see README).
import { down, up } from "../test/support/sandbox/sandbox.js";

const say = (line: string) => console.log(line);
const [command, ...flags] = process.argv.slice(2);

try {
  if (command === "up") await up(say, { controller: !flags.includes("--no-controller") });
  else if (command === "down") await down(say);
  else {
    console.error("usage: tsx scripts/local.ts up [--no-controller] | down");
    process.exitCode = 2;
  }
} catch (error) {
  console.error(`local:${command} failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
