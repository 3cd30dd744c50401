#!/usr/bin/env python3
# A/B of two transformers-cli builds (issue 19: the op seam against the previous head), alternating
# runs; edit OLD/NEW and the model folder (/tmp/bm, from build/bench/make_bench_models) as needed.
import json, subprocess, statistics, os, sys
OLD="/work/ciclone/build/transformers-cli"; NEW="/work/main/build/transformers-cli"
cases=[("bert-base",["--dtype","float32"]),("gpt2",["--dtype","float32"]),("gpt2",["--dtype","bfloat16"])]
res={}
for rnd in range(5):
    for name,extra in cases:
        for tag,cli in (("old",OLD),("new",NEW)) if rnd%2==0 else (("new",NEW),("old",OLD)):
            out=subprocess.run([cli,"bench","--model",f"/tmp/bm/{name}","--threads","2","--reps","2","--json"]+extra,capture_output=True,text=True)
            if out.returncode: print(out.stderr); sys.exit(1)
            j=json.loads(out.stdout)
            key=(name,extra[1],tag)
            res.setdefault(key,[]).append((j["forward_ms"], j.get("prefill_tokens_per_s"), j.get("decode_tokens_per_s"), os.getloadavg()[0]))
for k,v in res.items():
    f=[x[0] for x in v]; d=[x[2] for x in v if x[2]]; p=[x[1] for x in v if x[1]]
    s=f"{k[0]} {k[1]} {k[2]}: forward_ms median {statistics.median(f):.1f} [{min(f):.1f}-{max(f):.1f}]"
    if p: s+=f"; prefill tok/s median {statistics.median(p):.0f} [{min(p):.0f}-{max(p):.0f}]"
    if d: s+=f"; decode tok/s median {statistics.median(d):.1f} [{min(d):.1f}-{max(d):.1f}]"
    s+=f"; load {min(x[3] for x in v):.2f}-{max(x[3] for x in v):.2f}"
    print(s)
