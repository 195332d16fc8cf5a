import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STRATEGY_NAMES, isStrategyName } from '../decoding/strategies';
import { quoteText } from '../decoding/describe-value';
import { calibrationFromRecords } from '../eval/calibration';
import type { GatingFigures, GatingRecord } from '../eval/gating';
import { DEFAULT_CALIBRATIONS_DIR, storeCalibration } from '../gate/calibration-store';
import { modelIdentity } from '../gate/model-identity';
import { builtinModelPath } from '../model/builtin';
import { parseFlags } from './args';
import { CliUsageError } from './errors';
import { runEval } from './eval';

const FLAGS = { model: 'string', files: 'string', positions: 'int', seed: 'int', strategies: 'string', dir: 'string', out: 'string', 'from-records': 'string', json: 'bool' } as const;

/**
 * Fits the gate for a model on held-out code: `tokentree eval` over the positions (its records
 * of each shown suggestion's signals), the predictor per strategy fitted on half the files and
 * measured on the other half, stored under the model file's identity for the editor to find.
 * `--out FILE` writes the calibration there instead (the shipped one is made so);
 * `--from-records FILE` fits from an earlier `tokentree eval --records FILE` without the model.
 */
export async function runCalibrate(argv: readonly string[], root = process.cwd()): Promise<string> {
  const f = parseFlags(argv, FLAGS);
  const modelPath = String(f.model ?? builtinModelPath());
  const strategies = f.strategies === undefined ? [...STRATEGY_NAMES] : String(f.strategies).split(',').map((s) => s.trim());
  for (const s of strategies) if (!isStrategyName(s)) throw new CliUsageError(`unknown strategy ${quoteText(s)} (use ${STRATEGY_NAMES.join(', ')})`);
  let data: { model: string; positions: number; records: Record<string, GatingRecord[]> };
  if (f['from-records'] !== undefined) {
    const path = String(f['from-records']);
    if (!existsSync(path)) throw new CliUsageError(`--from-records: no file ${quoteText(path)}`);
    data = readRecords(path);
  } else {
    if (!existsSync(modelPath)) throw new CliUsageError(`--model: no file ${quoteText(modelPath)}`);
    const scratch = mkdtempSync(join(tmpdir(), 'tokentree-calibrate-'));
    try {
      const records = join(scratch, 'records.json');
      const args = ['--model', modelPath, '--strategies', strategies.join(','), '--positions', String(f.positions ?? 300), '--records', records, '--json'];
      if (f.files !== undefined) args.push('--files', String(f.files));
      if (f.seed !== undefined) args.push('--seed', String(f.seed));
      await runEval(args, root);
      data = readRecords(records);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  const picked = Object.fromEntries(Object.entries(data.records).filter(([k]) => strategies.includes(k)));
  if (Object.keys(picked).length === 0) throw new CliUsageError('no records of the asked strategies to fit');
  const out = f.out === undefined ? undefined : String(f.out);
  // The shipped calibration is for whichever model has none of its own: it names no identity.
  const identity = out === undefined ? await modelIdentity(f['from-records'] !== undefined ? String(f.model ?? data.model) : modelPath) : undefined;
  const { calibration, figures } = calibrationFromRecords(picked, out === undefined ? modelPath : 'built-in', data.positions, identity);
  let where: string;
  if (out !== undefined) {
    writeFileSync(out, JSON.stringify(calibration, null, 1) + '\n');
    where = out;
  } else where = storeCalibration({ ...calibration, modelIdentity: identity! }, f.dir === undefined ? DEFAULT_CALIBRATIONS_DIR : String(f.dir));
  if (f.json) return JSON.stringify({ stored: where, modelIdentity: identity ?? null, calibration, figures });
  return formatCalibration(where, identity, figures);
}

function readRecords(path: string): { model: string; positions: number; records: Record<string, GatingRecord[]> } {
  let data: { model?: unknown; positions?: unknown; records?: unknown };
  try {
    data = JSON.parse(readFileSync(path, 'utf8')) as typeof data;
  } catch {
    throw new CliUsageError(`${quoteText(path)} is not JSON (a tokentree eval --records file)`);
  }
  if (typeof data !== 'object' || data === null) throw new CliUsageError(`${quoteText(path)} is not a tokentree eval --records file`);
  if (typeof data.records !== 'object' || data.records === null || typeof data.positions !== 'number') throw new CliUsageError(`${quoteText(path)} is not a tokentree eval --records file`);
  return { model: String(data.model ?? ''), positions: data.positions, records: data.records as Record<string, GatingRecord[]> };
}

function formatCalibration(where: string, identity: string | undefined, figures: Readonly<Record<string, GatingFigures>>): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const rows = [['strategy', 'shown', 'best signal AUROC', 'gate AUROC (held out)', 'threshold', 'useful among shown: gated (ungated)', 'useful kept', 'auto']];
  for (const [name, g] of Object.entries(figures)) {
    const p = g.predictor;
    const on = p.auroc !== null && p.auroc >= 0.6;
    rows.push([name, String(g.shown), g.bestSignal ? `${g.bestSignal.name} ${g.bestSignal.auroc.toFixed(2)}` : '-', p.auroc === null ? '-' : p.auroc.toFixed(2), p.threshold.toFixed(3), `${pct(p.precision)} (${pct(p.baselinePrecision)})`, pct(p.recall), on ? 'gates' : 'off (AUROC < 0.6)']);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return [
    `calibration written to ${where}${identity ? ` (model identity ${identity})` : ''}`,
    ...rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')),
    'useful = first line exact; signals, ridge and threshold chosen on half the files (the threshold keeps 80% of its useful suggestions, plus one standard error); AUROC, precision and recall measured on the other half',
  ].join('\n');
}
