#!/usr/bin/env bash
# npm run model:train — the whole CPU training run, one command:
#   setup check → corpus + tokenizer + rows (TypeScript) → training (torch, CPU)
#   → GGUF export (TypeScript writer) → llama.cpp verification.
# Environment:
#   TRAIN_STEPS (750), TRAIN_SEED (20250601), TRAIN_THREADS (1), TRAIN_BATCH (8 rows of 256),
#   TRAIN_WARMUP (30), TRAIN_TRAIN_BYTES (14000000), TRAIN_EVAL_EVERY (0: validation loss only at the end),
#   TRAIN_LR (0.002: the peak learning rate)
#   TRAIN_CONTEXT (256: tokens per row, the model's context; a continued run may change it)
#   TRAIN_REPO_RATE (0: share of FIM examples with other files of their package in the repository format)
#   TRAIN_REGISTRY=1   also train on tools/train/registry-packages.json (fetched from the npm registry)
#   TRAIN_INIT=FILE    continue from a trained GGUF (its weights and its tokenizer) instead of from scratch
#   TRAIN_RESUME=1     continue an interrupted run from .cache/train/run/checkpoint.pt (same settings)
# Stopping (Ctrl-C, SIGTERM) is safe: the step in progress finishes, a checkpoint is written, and
# the same command with TRAIN_RESUME=1 goes on from there.
# Intermediate files go to .cache/train/ (git-ignored); outputs to models/.
set -euo pipefail
cd "$(dirname "$0")/../.."
STEPS="${TRAIN_STEPS:-750}"
SEED="${TRAIN_SEED:-20250601}"
THREADS="${TRAIN_THREADS:-1}"
BATCH="${TRAIN_BATCH:-8}"
WARMUP="${TRAIN_WARMUP:-30}"
LR="${TRAIN_LR:-0.002}"
TRAIN_BYTES="${TRAIN_TRAIN_BYTES:-14000000}"
DATA=.cache/train
RUN="$DATA/run"
mkdir -p "$RUN"
now() { date +%s.%N; }
T0=$(now)

echo "== setup"
bash tools/train/setup.sh
T1=$(now)

echo "== data and tokenizer"
PREP=(--out "$DATA" --seed "$SEED" --train-bytes "$TRAIN_BYTES" --context "${TRAIN_CONTEXT:-256}" --repo-rate "${TRAIN_REPO_RATE:-0}")
TRAIN_ARGS=()
if [ "${TRAIN_REGISTRY:-0}" = 1 ]; then PREP+=(--registry); fi
if [ -n "${TRAIN_INIT:-}" ]; then
  # Read before anything is written: the export below replaces models/tokentree-code.gguf.
  if [ "${TRAIN_RESUME:-0}" != 1 ] || [ ! -f "$DATA/init/weights.f32" ]; then
    npx tsx tools/train/from-gguf.ts --gguf "$TRAIN_INIT" --out "$DATA/init"
  fi
  PREP+=(--tokenizer "$DATA/init/tokenizer.json")
  TRAIN_ARGS+=(--init "$DATA/init")
fi
if [ "${TRAIN_RESUME:-0}" = 1 ]; then TRAIN_ARGS+=(--resume); fi
npx tsx tools/train/prepare.ts "${PREP[@]}"
T2=$(now)

echo "== training ($STEPS steps x $BATCH rows, $THREADS thread(s))"
set +e
OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS" \
  /usr/bin/python3 tools/train/train.py --data "$DATA" --out "$RUN" \
  --steps "$STEPS" --batch "$BATCH" --warmup "$WARMUP" --lr "$LR" --seed "$SEED" --threads "$THREADS" --eval-every "${TRAIN_EVAL_EVERY:-0}" \
  ${TRAIN_ARGS[@]+"${TRAIN_ARGS[@]}"} 2>&1 | tee -a "$RUN/train.log"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" = 3 ]; then echo "training stopped; continue with TRAIN_RESUME=1 and the same settings"; exit 3; fi
if [ "$rc" != 0 ]; then exit "$rc"; fi
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
