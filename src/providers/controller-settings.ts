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

/** package.json's defaults (a unit test keeps the two equal). */
export const DEFAULT_CONTROLLER_SETTINGS: ControllerSettings = {
  enabled: true,
  languages: [
    'typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'python', 'go', 'rust', 'java', 'c', 'cpp', 'csharp', 'php', 'ruby',
    'shellscript', 'json', 'css', 'html',
  ],
  candidates: 3,
  autoTriggerMaxLineSuffix: 8,
  timeBudgetMs: 3000,
  otherFiles: true,
  contextBudgetChars: 3000,
  prefixChars: 6000,
  suffixChars: 2000,
  confidenceThreshold: 0,
  confidenceMode: 'cut',
};

/** The settings keys behind each field, for the test against package.json. */
export const CONTROLLER_SETTING_KEYS: Record<keyof ControllerSettings, string> = {
  enabled: 'enabled',
  languages: 'languages',
  candidates: 'candidates',
  autoTriggerMaxLineSuffix: 'autoTriggerMaxLineSuffix',
  timeBudgetMs: 'timeBudgetMs',
  otherFiles: 'context.otherFiles',
  contextBudgetChars: 'context.budgetChars',
  prefixChars: 'context.prefixChars',
  suffixChars: 'context.suffixChars',
  confidenceThreshold: 'confidence.threshold',
  confidenceMode: 'confidence.mode',
};
