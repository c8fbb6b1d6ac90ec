/** The `modelmesh-serving` command line: one subcommand per verb, each with its own `--help`. */
import { renderCommand } from "./commands/render.js";
import { runCommand } from "./commands/run.js";
import { versionCommand } from "./commands/version.js";
import { type CliIo, type Command, EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE } from "./io.js";

/** The controller itself (`run`) next to the offline commands. */
export const COMMANDS: readonly Command[] = [runCommand, renderCommand, versionCommand];

function usage(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const lines = commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return `Usage: modelmesh-serving <command> [options]

Commands:
${lines.join("\n")}

Run "modelmesh-serving <command> --help" for the options of a command.
`;
}

export async function runCli(
  argv: readonly string[],
  io: CliIo,
  commands: readonly Command[] = COMMANDS,
): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.stderr : io.stdout)(usage(commands));
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (command === undefined) {
    io.stderr(`unknown command "${name}"\n\n${usage(commands)}`);
    return EXIT_USAGE;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    // Commands report bad input themselves; reaching here is a bug, still reported rather than a stack dump.
    io.stderr(`modelmesh-serving ${name}: unexpected error: ${(error as Error).message}\n`);
    return EXIT_INVALID_INPUT;
  }
}
