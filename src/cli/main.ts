import { quoteText, terminalLine } from '../decoding/describe-value';
import { CliUsageError } from './errors';
import { runCompare, runComplete } from './complete';
import { runEval } from './eval';
import { runGpu } from './gpu';
import { runModels } from './models';
import { runPull } from './pull';
import { runSample } from './sample';
import { runType } from './type';

const USAGE = `usage: tokentree <command>
  sample      read {"logits"|"probs", "samplers", "history"} JSON on stdin, print the surviving candidates
  complete    --file F --line L --column C [--model PATH | --server URL] [--strategy S] [--max-tokens N] [--seed N] [--no-healing] [--json]
  compare     --file F --line L --column C [--model PATH | --server URL] [--max-tokens N] [--seed N] [--no-healing]
  type        --file F --line L --column C --text "…" [--model PATH | --server URL] [--strategy S] [--max-tokens N] [--seed N] [--json]
  pull        <preset|hf:URI|https URL> [--dir DIR] [--json]   download a model
  models      [--json] [--cpu] [--timeout-ms N]   the presets, and whether each fits this machine's memory
  gpu         status [--server URL] [--json] | install cuda|vulkan [--registry URL] [--json]
  eval        [--model PATH | --server URL] [--strategies a,b,mcts+syntax] [--files GLOB[,GLOB]] [--positions N] [--seed N] [--syntax-weight W] [--layout stable|legacy] [--healing on|off|both] [--mid-identifier-share S] [--json]
strategies: greedy, top-p, min-p, entropy, beam, mcts; without --model the built-in model is used;
--server URL: a llama-server runs the model (its API key from TOKENTREE_SERVER_KEY)`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The commands that take arguments and print one result. */
const COMMANDS: Readonly<Record<string, (argv: readonly string[]) => Promise<string>>> = {
  sample: async () => runSample(await readStdin()),
  complete: runComplete,
  compare: runCompare,
  type: runType,
  eval: runEval,
  pull: runPull,
  models: runModels,
  gpu: runGpu,
};

/** Errors of input the user can fix: exit 2 (anything else is 1). */
const USAGE_ERRORS: ReadonlySet<string> = new Set([
  'SamplerSpecError', 'StrategyOptionsError', 'GpuInstallError', 'PullError', 'InvalidLogitsError', 'ModelFileError',
]);

export async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h') {
      process.stdout.write(USAGE + '\n');
      return command === undefined ? 2 : 0;
    }
    const run = Object.prototype.hasOwnProperty.call(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!run) throw new CliUsageError(`unknown command ${quoteText(command)} (try --help)`);
    process.stdout.write((await run(argv.slice(1))) + '\n');
    return 0;
  } catch (e) {
    const err = e as Error;
    const usage = err instanceof CliUsageError || USAGE_ERRORS.has(err.name);
    process.stderr.write(`tokentree: ${terminalLine(String(err?.message ?? err).split('\n')[0] ?? '')}\n`);
    return usage ? 2 : 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // A download library may leave retry timers behind after a failure; they must not keep the CLI alive.
    setTimeout(() => process.exit(code), 2000).unref();
  });
}
