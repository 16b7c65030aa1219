#!/usr/bin/env bash
# The GPU checks of issue 15 as one prepared script (a lent H200 has 15 minutes in all; this takes
# <= 8): CUDA-marked tests, serve-batch end to end on >= 200,000 rows with a roberta-base-shaped
# fp16 bundle (ONNX Runtime CUDA EP with IO binding; TensorRT EP when it loads) and with the torch
# fp16 backend, the host side alone (`bench --host-only`, 1..16 host threads), then `emopulse bench
# --device cuda`; writes gpu.md / gpu.json / host/host.md / bench.* to OUTDIR.
#   bash scripts/gpu.sh OUTDIR [ROWS]            on the GPU machine (no network: uses what is installed)
#   DRY_RUN=1 bash scripts/gpu.sh OUTDIR         the same steps on this CPU, tiny shape, 3,000 rows
# A random checkpoint is used: speed depends on the shape, not the weights (the gate is forced).
set -uo pipefail
OUT=${1:?usage: bash scripts/gpu.sh OUTDIR [ROWS]}
ROWS=${2:-200000}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
PY=${PYTHON:-python3}
DEVICE=cuda SHAPE=roberta-base BS=32,128,512 SECS=600   # bench --max-seconds: the whole measurement budget
if [ "${DRY_RUN:-0}" = 1 ]; then DEVICE=cpu SHAPE=tiny ROWS=3000 BS=8,32 SECS=30; fi
mkdir -p "$OUT"
log() { echo "[gpu.sh $(date +%T)] $*" | tee -a "$OUT/gpu.log"; }

log "1/7 machine"
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 || echo "no nvidia-smi"
  "$PY" -c "import torch, onnxruntime as o; print('torch', torch.__version__, 'cuda', torch.cuda.is_available()); print('onnxruntime', o.__version__, o.get_available_providers())"
} > "$OUT/machine.txt" 2>&1; cat "$OUT/machine.txt"

log "2/7 CUDA-marked tests"
timeout 180 "$PY" -m pytest -q -p no:cacheprovider -m cuda "$ROOT/tests/gpu" 2>&1 | tail -15 | tee "$OUT/tests.txt"

log "3/7 $SHAPE checkpoint, fp16 bundle ($DEVICE)"
W=$(mktemp -d)
"$PY" -c "from emopulse.testing.shapes import build_random_checkpoint as b; b('$W/ckpt', '$SHAPE')"
PREC=fp16; [ "$DEVICE" = cpu ] && PREC=optimized
# The lent machine has onnxruntime (CPU build) and no optimum: the ONNX CUDA path needs onnxruntime-gpu
# and optimum-onnx carried as wheels; without them it is skipped with the reason, torch fp16 still runs.
if "$PY" -c "import optimum.exporters.onnx, onnxruntime as o, sys; sys.exit(0 if '$DEVICE' == 'cpu' or 'CUDAExecutionProvider' in o.get_available_providers() else 1)" 2>/dev/null; then
  timeout 240 "$PY" -m emopulse export --model "$W/ckpt" --output "$W/bundle" --precision $PREC --device $DEVICE \
      --max-length 128 --gate-rows 256 --force 2>&1 | tail -2
else
  log "ONNX $PREC skipped: needs optimum-onnx and onnxruntime-gpu (CUDA EP) here"
fi

log "4/7 $ROWS rows of Parquet"
"$PY" - "$ROOT/src/emopulse/data/comments_sample.parquet" "$W/rows.parquet" "$ROWS" <<'PYEOF'
import sys, pyarrow as pa, pyarrow.parquet as pq
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = pq.read_table(src, columns=["id", "text", "date"])
reps = -(-n // t.num_rows)
t = pa.concat_tables([t] * reps).slice(0, n)
t = t.set_column(0, "id", pa.array([f"r{i}" for i in range(n)]))
pq.write_table(t, dst, row_group_size=50_000)
PYEOF

log "5/7 serve-batch end to end: ONNX $PREC and torch fp16"
for V in onnx torch; do
  M="$W/bundle"; EXTRA=""; [ $V = torch ] && M="$W/ckpt" && EXTRA="--dtype fp16"
  [ -e "$M/manifest.json" ] || [ $V = torch ] || continue
  timeout 200 "$PY" -m emopulse serve-batch --model "$M" --input "$W/rows.parquet" --output "$W/pred-$V" \
      --device $DEVICE $EXTRA --keep-cols date --no-progress --overwrite 2>&1 | tail -3
  cp "$W/pred-$V/_summary.json" "$OUT/serve-$V.json" 2>/dev/null || log "serve-batch $V failed"
done

log "6/7 host side: the shipped model's tokenizer and head before a null model, 1..all cores"
HOSTS=1,4,8,16; [ "${DRY_RUN:-0}" = 1 ] && HOSTS=1,2
timeout 150 "$PY" -m emopulse bench --host-only --input "$ROOT/src/emopulse/data/comments_sample.parquet" --max-rows 100000 \
    --host-workers $HOSTS --repeat 2 --output "$OUT/host" --log-level warning 2>&1 | tail -22

log "7/7 emopulse bench"
timeout 240 "$PY" -m emopulse bench --model "$W/ckpt" --input "$ROOT/src/emopulse/data/comments_sample.parquet" \
    --device $DEVICE --max-rows $(( ROWS < 20000 ? ROWS : 20000 )) --batch-sizes $BS --repeat 2 \
    --max-seconds $SECS --chunk-rows 4096 --output "$OUT" 2>&1 | tail -25

"$PY" - "$OUT" <<'PYEOF'
import json, os, sys
out = sys.argv[1]
rows = ["| variant | rows | rows/s | padded/real tokens |", "| --- | --- | --- | --- |"]
res = {}
for v in ("onnx", "torch"):
    p = os.path.join(out, f"serve-{v}.json")
    if os.path.exists(p):
        s = json.load(open(p))
        res[v] = {"rows": s["rows"], "rows_per_s": s["rows_per_s"], "padded": s.get("padded_token_ratio")}
        rows.append(f"| serve-batch {v} | {s['rows']:,} | {s['rows_per_s']:,} | {s.get('padded_token_ratio')} |")
json.dump(res, open(os.path.join(out, "gpu.json"), "w"), indent=2)
open(os.path.join(out, "gpu.md"), "w").write("\n".join(rows) + "\n")
print("\n".join(rows))
PYEOF
rm -rf "$W" "$OUT/_models" "$OUT/_rows.parquet"
log "done"
