#!/usr/bin/env bash
# npm run model:train — the whole CPU training run, one command:
#   setup check → corpus + BPE tokenizer + rows (TypeScript) → training (torch, CPU)
#   → GGUF export (TypeScript writer) → llama.cpp verification.
# Environment: TRAIN_STEPS (750), TRAIN_SEED (20250601), TRAIN_THREADS (1), TRAIN_BATCH (8 rows of 256).
# Intermediate files go to .cache/train/ (git-ignored); outputs to models/.
set -euo pipefail
cd "$(dirname "$0")/../.."
STEPS="${TRAIN_STEPS:-750}"
SEED="${TRAIN_SEED:-20250601}"
THREADS="${TRAIN_THREADS:-1}"
BATCH="${TRAIN_BATCH:-8}"
DATA=.cache/train
RUN="$DATA/run"
mkdir -p "$RUN"
now() { date +%s.%N; }
T0=$(now)

echo "== setup"
bash tools/train/setup.sh
T1=$(now)

echo "== data and tokenizer"
npx tsx tools/train/prepare.ts --out "$DATA" --seed "$SEED"
T2=$(now)

echo "== training ($STEPS steps x $BATCH rows, $THREADS thread(s))"
OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS" \
  /usr/bin/python3 tools/train/train.py --data "$DATA" --out "$RUN" \
  --steps "$STEPS" --batch "$BATCH" --seed "$SEED" --threads "$THREADS" 2>&1 | tee "$RUN/train.log"
T3=$(now)

echo "== export"
npx tsx tools/train/export.ts --data "$DATA" --run "$RUN"
T4=$(now)

echo "== verify in llama.cpp"
npx tsx tools/train/verify.ts
T5=$(now)

node -e '
const fs = require("fs");
const [t0, t1, t2, t3, t4, t5] = process.argv.slice(1).map(Number);
const p = "models/tokentree-code.training.json";
const s = JSON.parse(fs.readFileSync(p, "utf8"));
const r = (x) => Math.round(x * 10) / 10;
s.wallSeconds = { setup: r(t1 - t0), data: r(t2 - t1), training: r(t3 - t2), export: r(t4 - t3), verify: r(t5 - t4), total: r(t5 - t0) };
fs.writeFileSync(p, JSON.stringify(s, null, 1) + "\n");
console.log("wall seconds", JSON.stringify(s.wallSeconds));
' "$T0" "$T1" "$T2" "$T3" "$T4" "$T5"
