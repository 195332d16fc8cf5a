import type { GateCalibration } from '../decoding/gate/predictor';
import { calibrationFor, DEFAULT_CALIBRATIONS_DIR, SHIPPED_CALIBRATION } from '../gate/calibration-store';

/**
 * The gate's calibration for the model the editor has loaded: the one `tokentree calibrate`
 * stored for that very file (found by its identity), else the shipped one. Looked up when a
 * model becomes ready; until then, and for a llama-server's model (no file here), the shipped one.
 */
export class GateCalibrations {
  private calibration: GateCalibration = SHIPPED_CALIBRATION;
  private source: 'stored' | 'shipped' = 'shipped';
  private lookup = 0;

  constructor(private readonly warn: (message: string) => void, private readonly dir = DEFAULT_CALIBRATIONS_DIR) {}

  get current(): GateCalibration {
    return this.calibration;
  }

  get from(): 'stored' | 'shipped' {
    return this.source;
  }

  /** `modelPath`: the loaded model's file (undefined: a server's model). A later call wins over an earlier one still reading. */
  async refresh(modelPath: string | undefined): Promise<void> {
    const turn = ++this.lookup;
    const found = await calibrationFor(modelPath, this.dir);
    if (turn !== this.lookup) return;
    if (found.problem) this.warn(found.problem);
    this.calibration = found.calibration;
    this.source = found.source;
  }
}
