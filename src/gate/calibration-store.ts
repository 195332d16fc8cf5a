import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseCalibration, type GateCalibration } from '../decoding/gate/predictor';
import shipped from './shipped-calibration.json';
import { modelIdentity } from './model-identity';

/** Where `tokentree calibrate` stores a model's calibration, and where the editor looks for it. */
export const DEFAULT_CALIBRATIONS_DIR = join(homedir(), '.tokentree', 'calibrations');

/** The calibration fitted on the built-in model with held-out code (tools/fit-gate.ts writes it). */
export const SHIPPED_CALIBRATION: GateCalibration = parseCalibration(shipped);

const fileOf = (dir: string, identity: string) => join(dir, `${identity}.json`);

/**
 * The calibrations folder, made if missing, for the editor to watch: VS Code's file watcher
 * reports nothing in a folder that did not exist when it started, so a first `tokentree calibrate`
 * run while the editor is open would go unseen. False where it cannot be made (then only a model
 * load finds a new calibration).
 */
export function ensureCalibrationsDir(dir = DEFAULT_CALIBRATIONS_DIR): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    return true;
  } catch {
    return false;
  }
}

/** Stores a calibration under its model's identity (written whole, then renamed into place). */
export function storeCalibration(calibration: GateCalibration & { modelIdentity: string }, dir = DEFAULT_CALIBRATIONS_DIR): string {
  if (!/^[0-9a-f]{32}$/.test(calibration.modelIdentity)) throw new Error('storeCalibration: malformed model identity');
  mkdirSync(dir, { recursive: true });
  const path = fileOf(dir, calibration.modelIdentity);
  writeFileSync(`${path}.tmp`, JSON.stringify(calibration, null, 1));
  renameSync(`${path}.tmp`, path);
  return path;
}

/** A model's stored calibration, if one was fitted for this very file; else undefined. */
export async function storedCalibration(modelPath: string, dir = DEFAULT_CALIBRATIONS_DIR): Promise<GateCalibration | undefined> {
  const identity = await modelIdentity(modelPath);
  const path = fileOf(dir, identity);
  if (!existsSync(path)) return undefined;
  const calibration = parseCalibration(JSON.parse(readFileSync(path, 'utf8')));
  return calibration.modelIdentity === identity ? calibration : undefined;
}

/**
 * What gates a model's suggestions: its own calibration when there is one, else the shipped one.
 * A stored calibration that cannot be read is not used, and `problem` says why.
 */
export async function calibrationFor(modelPath: string | undefined, dir = DEFAULT_CALIBRATIONS_DIR): Promise<{ calibration: GateCalibration; source: 'stored' | 'shipped'; problem?: string }> {
  let problem: string | undefined;
  const stored = modelPath
    ? await storedCalibration(modelPath, dir).catch((e: unknown) => {
      problem = `the stored gate calibration for ${modelPath} could not be read (${e instanceof Error ? e.message : String(e)}); using the shipped one`;
      return undefined;
    })
    : undefined;
  return stored ? { calibration: stored, source: 'stored' } : { calibration: SHIPPED_CALIBRATION, source: 'shipped', ...(problem ? { problem } : {}) };
}
