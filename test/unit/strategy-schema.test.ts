import * as assert from 'node:assert/strict';
import { parseOptions, StrategyOptionsError } from '../../src/decoding/option-rules';
import { SamplerSpecError } from '../../src/decoding/samplers/chain';
import { parseStrategyCall, STRATEGY_NAMES, strategyOf } from '../../src/decoding/strategies';
import { COMMON_DEFAULTS, COMMON_RULES } from '../../src/decoding/strategy';

const refused = (name: unknown, options: unknown, message: string) =>
  assert.throws(() => parseStrategyCall(name, options), (e: Error) => e instanceof StrategyOptionsError && e.message === message);

describe('strategy schemas', () => {
  it('every strategy’s defaults, and the common ones, pass its own rules', () => {
    for (const name of STRATEGY_NAMES) {
      const s = strategyOf(name);
      assert.doesNotThrow(() => parseOptions(s.rules, s.defaults, name), name);
      assert.deepEqual(Object.keys(s.defaults).filter((k) => !(k in s.rules)), [], `${name}: every default has a rule`);
    }
    assert.doesNotThrow(() => parseOptions(COMMON_RULES, COMMON_DEFAULTS, 'common'));
  });

  it('parses options given as data, with a one-line error naming the option and its range', () => {
    assert.deepEqual(parseStrategyCall('beam', { width: 3, maxTokens: 10 }), { name: 'beam', options: { width: 3, maxTokens: 10 } });
    refused('beam', { width: 12 }, 'beam.width must be an integer from 1 to 8 (got 12)');
    refused('beam', { width: 2.5 }, 'beam.width must be an integer from 1 to 8 (got 2.5)');
    refused('beam', { earlyStopping: 'sometimes' }, 'beam.earlyStopping must be one of true, false, "never" (got "sometimes")');
    refused('mcts', { cPuct: Number.NaN }, 'mcts.cPuct must be a number from 0 to 100 (got NaN)');
    refused('greedy', { simulations: 4 }, 'greedy has no option "simulations"');
    refused('greedy', { maxTokens: 0 }, 'greedy.maxTokens must be an integer from 1 to 100000 (got 0)');
    refused('sideways', {}, 'the strategy must be one of greedy, top-p, min-p, entropy, beam, mcts (got "sideways")');
    refused('beam', [1, 2], 'beam must be an object of options (got an array of 2)');
  });

  it('functions come in code, never as data; sampler chains are parsed as samplers', () => {
    refused('mcts', { value: 'mean' }, 'mcts.value must be a function (got "mean")');
    assert.deepEqual(parseStrategyCall('top-p', { chain: [{ type: 'top_p', p: 0.5 }] }).options, { chain: [{ type: 'top_p', p: 0.5 }] });
    assert.throws(() => parseStrategyCall('top-p', { chain: [{ type: 'top_q' }] }), SamplerSpecError);
  });

  it('capabilities say which strategies take a value function and which extend a handed-over prompt', () => {
    const which = (flag: 'takesValue' | 'extendsPrompt' | 'usesTimeBudget') => STRATEGY_NAMES.filter((n) => strategyOf(n).capabilities[flag]);
    assert.deepEqual(which('takesValue'), ['entropy', 'mcts']);
    assert.deepEqual(which('extendsPrompt'), [...STRATEGY_NAMES]);
    assert.deepEqual(which('usesTimeBudget'), STRATEGY_NAMES);
  });
});
