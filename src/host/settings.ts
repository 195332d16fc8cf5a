import * as vscode from 'vscode';
import { isStrategyName } from '../decoding/strategies';
import type { StrategyName } from '../decoding/strategy';
import { DEFAULT_CONTROLLER_SETTINGS as D, type ControllerSettings } from '../providers/controller-settings';

const section = () => vscode.workspace.getConfiguration('tokentree');

export interface ModelSettings {
  /** Empty: the built-in model. */
  readonly modelPath: string;
  readonly gpu: 'auto' | false;
  readonly threads: number | 'auto';
  readonly contextSize: number | undefined;
}

/**
 * Settings that load files or pick hardware come from the user's own (global) settings
 * only, never from a workspace: opening a folder must not be able to make TokenTree load
 * a file of the folder's choosing. The manifest marks them machine-scoped as well.
 */
export function readModelSettings(): ModelSettings {
  const c = section();
  const user = <T>(key: string, fallback: T): T => (c.inspect<T>(key)?.globalValue ?? fallback);
  const threads = user<number | string>('threads', 'auto');
  return {
    modelPath: String(user('modelPath', '')).trim(),
    gpu: user<string>('gpu', 'auto') === 'off' ? false : 'auto',
    threads: typeof threads === 'number' && Number.isInteger(threads) && threads > 0 ? threads : 'auto',
    // 0: the model's own training context (at most 2048): a larger one feeds a small model
    // positions it never saw, and its completions fall apart.
    contextSize: clampInt(user('contextSize', 0), 0, 32768, 0) || undefined,
  };
}

export function readControllerSettings(): ControllerSettings {
  const c = section();
  return {
    enabled: c.get('enabled', D.enabled),
    languages: c.get<string[]>('languages', [...D.languages]),
    candidates: clampInt(c.get('candidates'), 1, 10, D.candidates),
    autoTriggerMaxLineSuffix: clampInt(c.get('autoTriggerMaxLineSuffix'), 0, 1000, D.autoTriggerMaxLineSuffix),
    timeBudgetMs: clampInt(c.get('timeBudgetMs'), 100, 60000, D.timeBudgetMs),
    otherFiles: c.get('context.otherFiles', D.otherFiles),
    contextBudgetChars: clampInt(c.get('context.budgetChars'), 0, 100000, D.contextBudgetChars),
    prefixChars: clampInt(c.get('context.prefixChars'), 100, 200000, D.prefixChars),
    suffixChars: clampInt(c.get('context.suffixChars'), 0, 100000, D.suffixChars),
    confidenceThreshold: clampNumber(c.get('confidence.threshold'), 0, 1, D.confidenceThreshold),
    confidenceMode: c.get<string>('confidence.mode', D.confidenceMode) === 'suppress' ? 'suppress' : 'cut',
  };
}

export function readStrategy(): StrategyName {
  const s = section().get<string>('strategy', 'greedy');
  return isStrategyName(s) ? s : 'greedy';
}

export async function writeStrategy(strategy: StrategyName): Promise<void> {
  await section().update('strategy', strategy, vscode.ConfigurationTarget.Global);
}

/** The chosen strategy's options, from its settings (the engine fills in the rest). */
export function readStrategyOptions(strategy: StrategyName): Record<string, unknown> {
  const c = section();
  const common = { maxTokens: clampInt(c.get('maxTokens', 48), 1, 512, 48), seed: clampInt(c.get('seed', 0), 0, 2 ** 31, 0) };
  const samples = clampInt(c.get('sampling.samples', 4), 1, 16, 4);
  switch (strategy) {
    case 'top-p':
      return { ...common, samples, chain: [{ type: 'top_k', k: 40 }, { type: 'top_p', p: clampNumber(c.get('topP.p', 0.9), 0, 1, 0.9) }, { type: 'temperature', t: clampNumber(c.get('topP.temperature', 0.7), 0, 5, 0.7) }] };
    case 'min-p':
      return { ...common, samples, chain: [{ type: 'min_p', p: clampNumber(c.get('minP.p', 0.05), 0, 1, 0.05) }, { type: 'temperature', t: clampNumber(c.get('minP.temperature', 0.9), 0, 5, 0.9) }] };
    case 'entropy':
      return {
        ...common,
        lowEntropy: c.get('entropy.lowEntropy', 1.5),
        lowVarentropy: c.get('entropy.lowVarentropy', 2.0),
        highEntropy: c.get('entropy.highEntropy', 2.1),
        highVarentropy: c.get('entropy.highVarentropy', 2.5),
        branches: clampInt(c.get('entropy.branches', 3), 2, 8, 3),
        lookahead: clampInt(c.get('entropy.lookahead', 4), 1, 32, 4),
      };
    case 'beam':
      return { ...common, width: clampInt(c.get('beam.width', 4), 1, 16, 4), lengthPenalty: clampNumber(c.get('beam.lengthPenalty', 1), -5, 5, 1) };
    case 'mcts':
      return {
        ...common,
        simulations: clampInt(c.get('mcts.simulations', 12), 1, 512, 12),
        cPuct: clampNumber(c.get('mcts.cPuct', 1.5), 0, 100, 1.5),
        rolloutDepth: clampInt(c.get('mcts.rolloutDepth', 3), 1, 32, 3),
        maxModelCalls: clampInt(c.get('mcts.maxModelCalls', 400), 1, 100000, 400),
      };
    default:
      return common;
  }
}

/** Weight of the code-aware value for MCTS and entropy branching; 0 turns it off (the default). */
export function readCodeAwareValue(): number {
  return clampNumber(section().get('codeAwareValue.weight', 0), 0, 10, 0);
}

export function acceptEntropy(): number {
  return clampNumber(section().get('acceptUntilUncertain.entropy', 1.5), 0, 20, 1.5);
}

function clampInt(x: unknown, lo: number, hi: number, fallback: number): number {
  return typeof x === 'number' && Number.isFinite(x) ? Math.min(hi, Math.max(lo, Math.round(x))) : fallback;
}

function clampNumber(x: unknown, lo: number, hi: number, fallback: number): number {
  return typeof x === 'number' && Number.isFinite(x) ? Math.min(hi, Math.max(lo, x)) : fallback;
}
