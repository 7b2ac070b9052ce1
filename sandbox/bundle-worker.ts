import webpack from 'webpack';
import { webpackConfig, type WorkerAnswer } from './bundle.js';

/**
 * Entry point of the webpack child process (sandbox/bundle.ts): bundles one prepared folder with jsPolicy's
 * configuration and answers over IPC. webpack loads only here, never in the CLI or the service.
 *
 * webpack evaluates magic comments (`import(/* webpackChunkName: … *\/ 'x')`) in a node:vm context, the
 * one place where it would run text from the policy or a dependency; they only name chunks or hint
 * prefetching, so they are switched off: webpack then only parses.
 */
type CommentOptions = { options: null; errors: null };
const parserProto = webpack.javascript.JavascriptParser.prototype as unknown as {
  parseCommentOptions: (range: unknown) => CommentOptions;
};
parserProto.parseCommentOptions = () => ({ options: null, errors: null });

process.once('message', (raw) => {
  const { dir } = raw as { dir: string };
  const answer = (a: WorkerAnswer) => process.send?.(a, () => process.exit(0));
  try {
    webpack(webpackConfig(dir) as webpack.Configuration, (err, stats) => {
      if (err) return answer({ ok: false, errors: [err.message] });
      if (!stats || stats.hasErrors()) {
        const errors = stats?.toJson({ all: false, errors: true }).errors ?? [];
        // As webpack-cli prints them: `ERROR in <module> <line:column>` and the message.
        const where = (e: (typeof errors)[number]) => `${e.moduleName ?? '(bundle)'}${e.loc ? ` ${e.loc}` : ''}`;
        const texts = errors.map((e) => `ERROR in ${where(e)}\n${e.message}`);
        return answer({ ok: false, errors: texts });
      }
      return answer({ ok: true });
    });
  } catch (err) {
    // Configuration errors throw synchronously.
    answer({ ok: false, errors: [err instanceof Error ? err.message : String(err)] });
  }
});
