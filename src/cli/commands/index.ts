import type { Command } from 'commander';

/** A command registers itself on the program; `setExit` records the exit code for a normal return. */
export type RegisterCommand = (program: Command, setExit: (code: number) => void) => void;

import { registerTest } from './test.js';
import { registerSkills } from './skills.js';
import { registerGenerate } from './generate.js';
import { registerServe } from './serve.js';
import { registerLint } from './lint.js';
import { registerOperator } from './operator.js';

export const commands: RegisterCommand[] = [registerTest, registerGenerate, registerSkills, registerServe, registerLint, registerOperator];
