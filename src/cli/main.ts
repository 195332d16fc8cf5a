import { quoteText, terminalLine } from '../decoding/describe-value';
import { version } from '../../package.json';
import { CliUsageError } from './errors';
import { runCompare, runComplete } from './complete';
import { runEval } from './eval';
import { runCalibrate } from './calibrate';
import { runGpu } from './gpu';
import { runModels } from './models';
import { runPull } from './pull';
import { runSample } from './sample';
import { runType } from './type';

/** Each command's usage line and what it does, for `tokentree help <command>` and `<command> --help`. */
const COMMAND_HELP: Readonly<Record<string, readonly [usage: string, about: string]>> = {
  sample: ['sample < input.json', 'Reads {"logits"|"probs", "samplers", "history"} JSON on stdin and prints the surviving candidates.'],
  complete: ['complete --file F --line L --column C [--model PATH | --server URL] [--strategy S] [--max-tokens N] [--seed N] [--no-healing] [--gpu auto|cuda|vulkan|off] [--gpu-layers N|max] [--context definitions|none] [--json]', 'Completes at a 1-based line and column as the editor does and prints the ranked suggestions.'],
  compare: ['compare --file F --line L --column C [--model PATH | --server URL] [--max-tokens N] [--seed N] [--no-healing] [--context definitions|none]', 'Runs every strategy at the same position: its first suggestion, score, model calls and ms.'],
  type: ['type --file F --line L --column C --text "…" [--model PATH | --server URL] [--strategy S] [--max-tokens N] [--seed N] [--context definitions|none] [--json]', 'Replays typing the text one character per request through the editor\'s completion controller.'],
  pull: ['pull <preset|hf:URI|https URL> [--dir DIR] [--json]', 'Downloads a GGUF model (into ~/.tokentree/models without --dir).'],
  models: ['models [--json] [--cpu] [--timeout-ms N]', 'Lists the preset models and whether each fits this machine\'s memory.'],
  gpu: ['gpu status [--server URL] [--json] | gpu install cuda|vulkan [--registry URL] [--json]', 'Shows what the GPU path finds, or installs node-llama-cpp\'s prebuilt CUDA or Vulkan binaries.'],
  eval: ['eval [--model PATH | --server URL] [--strategies a,b,mcts+syntax] [--files GLOB[,GLOB]] [--positions N] [--seed N] [--syntax-weight W] [--layout stable|legacy] [--healing on|off|both] [--mid-identifier-share S] [--context none|ring|definitions] [--records FILE] [--json]', 'Scores each strategy\'s suggestions against held-out code, and how well their signals predict a useful one (--records: each shown suggestion\'s signals); --context: other files\' context in the prompt.'],
  calibrate: ['calibrate [--model PATH] [--files GLOB[,GLOB]] [--positions N] [--seed N] [--strategies a,b] [--dir DIR | --out FILE] [--from-records FILE] [--json]', 'Fits when to show a suggestion for a model on held-out code and stores it by the model file\'s identity (in ~/.tokentree/calibrations without --dir), where the editor finds it.'],
};

const FOOTER = `strategies: greedy, top-p, min-p, entropy, beam, mcts; without --model the built-in model is used;
--server URL: a llama-server runs the model (its API key from TOKENTREE_SERVER_KEY)`;

const USAGE = `usage: tokentree <command> [options]    (tokentree help <command>, tokentree --version)
${Object.entries(COMMAND_HELP).map(([name, [usage]]) => `  ${name.padEnd(9)} ${usage.slice(name.length + 1)}`).join('\n')}
${FOOTER}`;

function commandHelp(name: string): string {
  const [usage, about] = COMMAND_HELP[name]!;
  return `usage: tokentree ${usage}\n${about}\n${FOOTER}`;
}

const isCommand = (name: string | undefined): name is string => name !== undefined && Object.prototype.hasOwnProperty.call(COMMAND_HELP, name);

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
  calibrate: runCalibrate,
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
    if (command === '--version' || command === '-v' || command === 'version') {
      process.stdout.write(`tokentree ${version}\n`);
      return 0;
    }
    if (command === 'help') {
      const topic = argv[1];
      if (topic === undefined) process.stdout.write(USAGE + '\n');
      else if (isCommand(topic)) process.stdout.write(commandHelp(topic) + '\n');
      else throw new CliUsageError(`no command ${quoteText(topic)} (try tokentree --help)`);
      return 0;
    }
    if (isCommand(command) && argv.slice(1).some((a) => a === '--help' || a === '-h')) {
      process.stdout.write(commandHelp(command) + '\n');
      return 0;
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
