import type { ConfidenceMode } from './confidence';

/** The controller's settings, read from `tokentree.*` in the editor and defaulted in the CLI. */
export interface ControllerSettings {
  readonly enabled: boolean;
  readonly languages: readonly string[];
  readonly candidates: number;
  readonly autoTriggerMaxLineSuffix: number;
  readonly timeBudgetMs: number;
  readonly otherFiles: boolean;
  readonly contextBudgetChars: number;
  readonly prefixChars: number;
  readonly suffixChars: number;
  readonly confidenceThreshold: number;
  readonly confidenceMode: ConfidenceMode;
}
