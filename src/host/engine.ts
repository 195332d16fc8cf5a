import { ModelEngine, type SnapshotSink } from '../engine/model-engine';
import type { ModelHost } from './model-host';
import { readCodeAwareValue, readStrategy, readStrategyCall, readTokenHealing } from './settings';

/** The editor's engine: the configured strategy and its settings over the model process's model. */
export function editorEngine(models: ModelHost, snapshots: SnapshotSink): ModelEngine {
  return new ModelEngine(() => models.get(), () => {
    return { call: readStrategyCall(readStrategy()), codeAwareWeight: readCodeAwareValue(), tokenHealing: readTokenHealing() };
  }, 'stable', snapshots);
}
