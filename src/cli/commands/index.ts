import type { Command } from 'commander';
import type { CliIo } from '../io.js';

/** What a command gets besides the program: `setExit` records the exit code for a normal return. */
export interface CommandContext {
  setExit: (code: number) => void;
  /** Where it reads and writes (main's io): never process.stdout/stderr directly. */
  io: CliIo;
}

/** A command registers itself on the program. */
export type RegisterCommand = (program: Command, context: CommandContext) => void;

/**
 * Every command, by name, loaded on demand: `policyforge test …` should not pay for loading the HTTP
 * server, the Kubernetes client and the model clients. main.ts loads only the command being run (all of
 * them for the top-level help).
 */
export const commands: Record<string, () => Promise<RegisterCommand>> = {
  test: async () => (await import('./test.js')).registerTest,
  generate: async () => (await import('./generate.js')).registerGenerate,
  skills: async () => (await import('./skills.js')).registerSkills,
  serve: async () => (await import('./serve.js')).registerServe,
  lint: async () => (await import('./lint.js')).registerLint,
  operator: async () => (await import('./operator.js')).registerOperator,
};
