import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { assetPath, isPolicyforgeError, redactSecrets } from '../../common/index.js';
import { commands } from './commands/index.js';
import { exitCodeFor } from './exit-codes.js';
import { processIo, type CliIo } from './io.js';

/**
 * The CLI entry point. Every command lives in its own file under commands/; errors are mapped to exit
 * codes here and only here (exit-codes.ts): 0 ok, 1 ran but failed, 2 unusable input, 3 dependency down.
 * Output goes to `io` (the process's streams by default), so a command can run in-process with its output
 * captured; main never exits the process.
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const program = new Command('policyforge')
    .description('Plain-language Kubernetes policy intents → verified, safely scoped jsPolicy JsPolicies')
    .version(packageVersion())
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) });

  let exitCode = 0;
  const context = {
    io,
    setExit: (code: number): void => {
      exitCode = code;
    },
  };
  // Only the command being run is loaded; an unknown name or a top-level --help loads them all so that
  // commander can list them and reject the unknown one.
  const named = argv.find((a) => !a.startsWith('-'));
  // `--version` alone needs no command at all.
  const versionOnly = !named && argv.some((a) => a === '--version' || a === '-V');
  const wanted = versionOnly ? [] : named && named in commands ? [named] : Object.keys(commands);
  for (const name of wanted) (await commands[name]())(program, context);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    const prefix = isPolicyforgeError(err) ? `${err.code}: ` : '';
    io.stderr.write(`policyforge: ${prefix}${redactSecrets(message)}\n`);
    return exitCodeFor(err);
  }
}

/** The version in package.json, as bin/policyforge.js prints it for a bare `--version`. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(assetPath('package.json'), 'utf8')) as { version: string }).version;
}
