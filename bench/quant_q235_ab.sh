#!/bin/bash
# Decode / prefill of GGUF files kept quantized (the Q2_K..Q5_K / Q5_0 / Q5_1 kernels) against the
# same files dequantized at load (what keep_quantized did with these types before), alternated.
# Usage: flock /tmp/bench.lock bench/quiet_run.sh bench/quant_q235_ab.sh CLI DIR
#   CLI: a Release transformers-cli; DIR holds smol_q2_k.gguf, smol_q3_k_m.gguf, smol_q5_k_m.gguf
#   (transformers-cli convert --model SmolLM2-135M-Instruct.Q4_1.gguf --format gguf --quant Q
#    --output DIR/smol_Q.gguf). Prints one JSON line per run, prefixed by the quant and the mode.
set -euo pipefail
cli=$1
dir=$2
cat /proc/loadavg
for r in 1 2 3; do
  for q in q2_k q3_k_m q5_k_m; do
    echo "$q keep $("$cli" bench --model "$dir/smol_$q.gguf" --keep-quantized --threads 2 --prompt-len 16 --gen-len 32 --reps 2 --json)"
    echo "$q deq $("$cli" bench --model "$dir/smol_$q.gguf" --threads 2 --prompt-len 16 --gen-len 32 --reps 2 --json)"
  done
done
cat /proc/loadavg
