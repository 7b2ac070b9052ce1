import type { RegisterCommand } from './index.js';

// Owned by the sandbox work (issue 2): `policyforge test SUITE.yaml --policy POLICY.yaml [--json]`.
export const registerTest: RegisterCommand = (program) => {
  program
    .command('test')
    .description('run a suite of admission cases against a JsPolicy in the sandbox')
    .argument('<suite>', 'suite YAML')
    .requiredOption('--policy <file>', 'JsPolicy YAML')
    .option('--json', 'print the result as JSON')
    .action(() => {
      throw new Error('policyforge test is not built yet');
    });
};
