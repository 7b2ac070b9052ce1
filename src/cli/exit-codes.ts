import { isPolicyforgeError } from '../../common/index.js';

/** The one place errors become CLI exit codes. Unknown errors are bugs: exit 1 after printing them. */
export function exitCodeFor(err: unknown): number {
  if (isPolicyforgeError(err)) return err.exit;
  return 1;
}
