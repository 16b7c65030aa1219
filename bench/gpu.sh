#!/usr/bin/env bash
# GPU variants of `emopulse bench` on one GPU (an H200, say), in under 8 minutes, with only a
# preinstalled torch, transformers and onnxruntime (pyarrow, tqdm, matplotlib too) and no network.
#   bash bench/gpu.sh OUTDIR [ROWS]
# Builds a random roberta-base-shaped checkpoint (speed depends on the shape, not the weights),
# then measures: transformers.pipeline on CUDA, torch fp16 (SDPA attention) on sorted batches,
# ONNX Runtime CUDA / TensorRT EP when onnxruntime-gpu is installed (skipped otherwise, with the
# reason), and serve-batch end to end; writes bench.json, bench.md, bench.png to OUTDIR.
set -euo pipefail
OUT=${1:?usage: bash bench/gpu.sh OUTDIR [ROWS]}
ROWS=${2:-20000}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
PY=${PYTHON:-python3}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/gpu.txt" 2>&1 || true
"$PY" -c "from emopulse.bench.shapes import build_random_checkpoint as b; b('$OUT/roberta-base-random', 'roberta-base')"
timeout 420 "$PY" -m emopulse bench --model "$OUT/roberta-base-random" \
    --data "$ROOT/src/emopulse/data/comments_sample.parquet" --device cuda --rows "$ROWS" \
    --batch-sizes 32,128,512 --repeat 3 --max-seconds 15 --chunk-rows 4096 --output "$OUT"
rm -rf "$OUT/roberta-base-random" "$OUT/_models" "$OUT/_rows.parquet"
