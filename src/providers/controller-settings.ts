import type { ConfidenceMode } from './confidence';
import type { RefineMode } from './refinement';

/** The controller's settings, read from `tokentree.*` in the editor and defaulted in the CLI. */
export interface ControllerSettings {
  readonly enabled: boolean;
  readonly languages: readonly string[];
  readonly candidates: number;
  readonly autoTriggerMaxLineSuffix: number;
  readonly timeBudgetMs: number;
  /** Anytime completion for the strategies that search (default replace), and its first suggestion's deadline (default 500). */
  readonly refine?: RefineMode;
  readonly firstSuggestionMs?: number;
  readonly otherFiles: boolean;
  readonly contextBudgetChars: number;
  readonly prefixChars: number;
  readonly suffixChars: number;
  readonly confidenceThreshold: number;
  readonly confidenceMode: ConfidenceMode;
}
