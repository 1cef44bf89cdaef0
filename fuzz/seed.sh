#!/bin/sh
# Seeds each fuzz target's corpus from the repository's fixtures (the corpora are
# not committed: they are copies of testdata/ plus what the fuzzer finds).
#   fuzz/seed.sh && cargo +nightly fuzz run load_any -- -max_total_time=600
set -eu
cd "$(dirname "$0")"
fixtures=$(find ../testdata -type f ! -name '*.py' ! -name '*.db' ! -name '*.snap')
for t in load_any otlp_proto text_formats render redact export stream; do
    mkdir -p "corpus/$t"
    for f in $fixtures; do
        cp "$f" "corpus/$t/$(echo "$f" | tr '/.' '__')"
    done
done
mkdir -p corpus/filter corpus/store
for q in 'status:error' 'tool:refund* & dur>2s' 'text:"charged twice" | model:gpt-4o' 'finding:loop' 'kind:llm & cost>0.01' 'slow:1s' '!status:ok & (service:a | name:"b c")'; do
    printf '%s' "$q" > "corpus/filter/$(printf '%s' "$q" | md5sum | cut -c1-12)"
done
printf '\000\000\000' > corpus/store/none
