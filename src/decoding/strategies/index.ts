import type { LanguageModel, PromptState } from '../language-model';
import { COMMON_DEFAULTS, type CommonOptions, type DecodeResult, type Strategy, type StrategyName } from '../strategy';
import { beam } from './beam';
import { entropy } from './entropy';
import { greedy } from './greedy';
import { mcts } from './mcts';
import { minP, topP } from './sampling';

/** Every strategy by name, in the order menus list them. */
export const STRATEGIES: Readonly<Record<StrategyName, Strategy<object>>> = {
  greedy,
  'top-p': topP as Strategy<object>,
  'min-p': minP as Strategy<object>,
  entropy: entropy as Strategy<object>,
  beam: beam as Strategy<object>,
  mcts: mcts as Strategy<object>,
};

export const STRATEGY_NAMES = Object.keys(STRATEGIES) as StrategyName[];

export function isStrategyName(name: string): name is StrategyName {
  return Object.prototype.hasOwnProperty.call(STRATEGIES, name);
}

/**
 * Runs a strategy with its defaults under whatever options the caller sets. With
 * `promptHandedOver` the caller promises to do nothing with `prompt.branch` but release it.
 */
export function decode(
  name: StrategyName,
  model: LanguageModel,
  prompt: PromptState,
  options: Partial<CommonOptions> & Record<string, unknown> = {},
  signal?: AbortSignal,
  promptHandedOver = false,
): Promise<DecodeResult> {
  const strategy = STRATEGIES[name];
  return strategy.decode({ model, prompt, options: { ...COMMON_DEFAULTS, ...strategy.defaults, ...options }, signal, promptHandedOver });
}
