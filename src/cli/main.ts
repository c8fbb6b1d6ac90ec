#!/usr/bin/env -S node --optimize-for-size
/** Entry point of the `modelmesh-serving` binary. */
import { runCli } from "./cli.js";

const exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = exitCode;
