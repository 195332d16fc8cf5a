import type { LanguageModel, PromptState } from '../language-model';
import { parseOptions, StrategyOptionsError, type OptionRules } from '../option-rules';
import { COMMON_DEFAULTS, COMMON_RULES, type CommonOptions, type DecodeResult, type Strategy, type StrategyName } from '../strategy';
import { quoteText } from '../describe-value';
import { beam } from './beam';
import { entropy } from './entropy';
import { greedy } from './greedy';
import { mcts } from './mcts';
import { minP, topP } from './sampling';

/** Every strategy by name, in the order menus list them. */
export const STRATEGIES = { greedy, 'top-p': topP, 'min-p': minP, entropy, beam, mcts } as const satisfies Record<StrategyName, unknown>;

export const STRATEGY_NAMES = Object.keys(STRATEGIES) as StrategyName[];

/** What a strategy takes: the common options and its own, each optional (its defaults fill in the rest). */
export type StrategyOptions<N extends StrategyName> = Partial<CommonOptions & ((typeof STRATEGIES)[N] extends Strategy<infer O> ? O : never)>;

/** A strategy by name with options of its own kind. */
export type StrategyCall = { [N in StrategyName]: { readonly name: N; readonly options?: StrategyOptions<N> } }[StrategyName];

export function isStrategyName(name: string): name is StrategyName {
  return Object.prototype.hasOwnProperty.call(STRATEGIES, name);
}

/** The strategy `name` names, with its schema, for code that reads schemas generically. */
export function strategyOf(name: StrategyName): Strategy<object> {
  // Each entry's options type is its own; a reader that goes by name sees them as a plain object.
  return STRATEGIES[name] as Strategy<object>;
}

/**
 * Runs a strategy with its defaults under whatever options the call sets. With
 * `promptHandedOver` the caller promises to do nothing with `prompt.branch` but release it; a
 * strategy that can extends it in place.
 */
export function decode(call: StrategyCall, model: LanguageModel, prompt: PromptState, signal?: AbortSignal, promptHandedOver = false): Promise<DecodeResult> {
  const strategy = strategyOf(call.name);
  return strategy.decode({
    model, prompt, signal,
    options: { ...COMMON_DEFAULTS, ...strategy.defaults, ...call.options },
    promptHandedOver: promptHandedOver && strategy.capabilities.extendsPrompt,
  });
}

/** A strategy call from data (the CLI, the model process's messages): the name and every option checked. */
export function parseStrategyCall(name: unknown, options: unknown = {}): StrategyCall {
  if (typeof name !== 'string' || !isStrategyName(name)) {
    throw new StrategyOptionsError(`the strategy must be one of ${STRATEGY_NAMES.join(', ')} (got ${typeof name === 'string' ? quoteText(name) : typeof name})`);
  }
  const rules = { ...COMMON_RULES, ...strategyOf(name).rules } as OptionRules<Record<string, unknown>>;
  return { name, options: parseOptions(rules, options, name) } as StrategyCall;
}
