import type { GateSetting } from './gate-policy';
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
  /** Declarations of the names at the cursor from the language server, within contextBudgetChars (absent: off). */
  readonly definitions?: boolean;
  readonly prefixChars: number;
  readonly suffixChars: number;
  /** Cut a suggestion before its first token less likely than this (0: never). */
  readonly cutAtUncertain: number;
  /** Whether a suggestion is shown inline at all (gate-policy.ts); the CLI has no calibration, so nothing gates there. */
  readonly gate: GateSetting;
}
